import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { type App, createApp, type AppOverrides } from '../../src/app.ts';
import { type Config, loadConfig } from '../../src/config/config.ts';
import { systemClock } from '../../src/core/clock.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { createUser } from '../../src/manage/users.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { freePort, stopProcess, waitForHttp } from '../lib/processes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PASSWORD = 'correct horse battery staple';
export const CODE_REDIRECT_URI = 'http://127.0.0.1/bench/callback';

/** What the scenarios need to know about a seeded Portcullis. */
export interface PortcullisInfo {
  settings: Record<string, unknown>;
  username: string;
  password: string;
  ropcClient: { id: string; secret: string };
  serviceClient: { id: string; secret: string };
  jwtServiceClient: { id: string; secret: string };
  codeClient: { id: string; secret: string; redirectUri: string };
  paths: { token: string; introspect: string };
}

export interface SeededPortcullis {
  dir: string;
  config: Config;
  /** The environment `portcullis serve` runs with. */
  env: Record<string, string>;
  app: App;
  info: PortcullisInfo;
}

/** Where a seeded Portcullis keeps its data: a fresh SQLite file unless `databaseUrl` is given. */
export interface PortcullisStoreOptions {
  /** A PostgreSQL database to serve from, with the cluster's PORTCULLIS_SECRET_KEY (bench/postgres.ts). */
  databaseUrl?: string;
  secretKey?: string;
  /** The `info` of another instance seeded on the same database: this one seeds nothing. */
  seeded?: PortcullisInfo;
  /** More environment for the serve process. */
  env?: Record<string, string>;
}

/**
 * A fresh SQLite file in a temporary directory (or the PostgreSQL database given), seeded through
 * the same store operations as the CLI (a scope, a user, one client per load), with `app` still open on it.
 */
export async function seedPortcullis(options: { port: number; logLevel?: string } & PortcullisStoreOptions, overrides: AppOverrides = {}): Promise<SeededPortcullis> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const env: Record<string, string> = {
    PORTCULLIS_ADMIN_PASSWORD: 'bench-admin-password',
    // The throttle stays on (every password attempt reserves a failure before its hash and is refunded
    // on success), but one bench user logs in 32 times at once from loopback: with the default budget
    // of 10 failures per (user, address) the reservations in flight alone would block it.
    PORTCULLIS_THROTTLE_USER_IP_FAILURES: '10000',
    PORTCULLIS_THROTTLE_IP_FAILURES: '10000',
  };
  if (options.logLevel !== undefined) env.PORTCULLIS_LOG_LEVEL = options.logLevel;
  if (options.databaseUrl !== undefined) Object.assign(env, { PORTCULLIS_DATABASE_URL: options.databaseUrl, PORTCULLIS_SECRET_KEY: String(options.secretKey) });
  Object.assign(env, options.env);
  const config = loadConfig({ db: join(dir, 'portcullis.db'), port: options.port, host: '127.0.0.1', config: undefined }, env);
  const app = await createApp(config, overrides);
  if (options.seeded) return { dir, config, env, app, info: options.seeded };
  const { store, ctx } = app;
  await saveScope(store, { name: 'bench', description: 'benchmark scope', resources: ['bench'] });
  await createUser(store, ctx.hasher, systemClock, { username: 'bench-user', password: PASSWORD });
  const client = async (name: string, input: Partial<Parameters<typeof registerClient>[2]>) => {
    const registered = await registerClient(store, systemClock, { name, type: 'confidential', grants: ['client_credentials'], scopes: ['bench'], ...input });
    return { id: registered.client.id, secret: registered.secret! };
  };
  const info: PortcullisInfo = {
    settings: {
      store: options.databaseUrl === undefined ? 'SQLite (WAL, synchronous=NORMAL), fresh file' : 'PostgreSQL, fresh database',
      logLevel: config.logLevel,
      argon2: config.argon2,
      throttle: 'on, shared counters in the SQLite file; user_ip and ip budgets 10000 (defaults 10 and 100) so that 32 parallel logins of one user from loopback are not refused',
    },
    username: 'bench-user',
    password: PASSWORD,
    ropcClient: await client('bench-ropc', { grants: ['password', 'refresh_token'] }),
    serviceClient: await client('bench-service', {}),
    jwtServiceClient: await client('bench-service-jwt', { tokenFormat: 'jwt' }),
    codeClient: { ...(await client('bench-web', { grants: ['authorization_code', 'refresh_token'], redirectUris: [CODE_REDIRECT_URI] })), redirectUri: CODE_REDIRECT_URI },
    paths: { token: '/oauth/token', introspect: '/oauth/introspect' },
  };
  return { dir, config, env, app, info };
}

/**
 * Stores `count` authorization codes for the code client, as the authorize endpoint does after a
 * sign-in and an approval (src/authz/endpoints/authorize.ts: only the hash is stored), each bound
 * to the PKCE `codeChallenge` and valid for ten minutes; returns the codes. Through a connection
 * of the bench's own, while the server is idle between loads.
 */
export async function seedCodes(db: string, info: PortcullisInfo, count: number, codeChallenge: string): Promise<string[]> {
  const store = new SqliteStore(db);
  let codes: string[];
  try {
    const now = systemClock.nowSeconds();
    codes = Array.from({ length: count }, () => generateSecret());
    const batch = 1000;
    for (let start = 0; start < codes.length; start += batch) {
      await Promise.all(
        codes.slice(start, start + batch).map((code) =>
          store.saveAuthorizationCode({
            hash: hashSecret(code),
            clientId: info.codeClient.id,
            username: info.username,
            redirectUri: info.codeClient.redirectUri,
            redirectUriGiven: true,
            scope: ['bench'],
            codeChallenge,
            nonce: null,
            authTime: now,
            amr: ['pwd'],
            issuedAt: now,
            expiresAt: now + 600,
            usedAt: null,
            familyId: null,
          }),
        ),
      );
    }
  } finally {
    await store.close();
  }
  // The codes' WAL pages are copied into the database now, while the server is idle: left to the
  // server's checkpoint thread, they were copied (and fsynced) during the measured window. That
  // thread may be copying them already: SQLite answers busy to a second checkpointer, so try again.
  const connection = new Database(db);
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      const [result] = connection.pragma('wal_checkpoint(TRUNCATE)') as { busy: number; log: number }[];
      if (result!.busy === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    connection.close();
  }
  return codes;
}

/** Tokens in the file, and how many of them are live; through a read-only connection of the bench's own. */
export function countTokens(db: string): { tokens: number; live: number } {
  const connection = new Database(db, { readonly: true });
  try {
    const now = Math.floor(Date.now() / 1000);
    const tokens = (connection.prepare('SELECT count(*) AS n FROM tokens').get() as { n: number }).n;
    const live = (
      connection
        .prepare('SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL AND rotated_at IS NULL AND (expires_at IS NULL OR expires_at > ?)')
        .get(now) as { n: number }
    ).n;
    return { tokens, live };
  } finally {
    connection.close();
  }
}

export interface PortcullisServer {
  port: number;
  process: ChildProcess;
  seeded: SeededPortcullis;
  close(): Promise<void>;
}

/**
 * `portcullis serve` itself, as an operator starts it: `node bin/portcullis.mjs serve` (the bundle
 * `npm run build` makes; bin/portcullis.mjs falls back to the sources through tsx when the bundle is
 * out of date, which bench/run.ts refuses), in a process of its own, on a file seeded first by the
 * bench. Logs go to `stdout` (the descriptor given: /dev/null in a run), paid for, not read.
 */
export async function startPortcullis(
  options: { logLevel?: string; nodeArgs?: string[]; env?: Record<string, string>; stdout: number; store?: PortcullisStoreOptions },
): Promise<PortcullisServer> {
  const port = await freePort();
  const seeded = await seedPortcullis({ port, ...(options.logLevel !== undefined ? { logLevel: options.logLevel } : {}), ...options.store });
  await seeded.app.close();
  const server = spawn(process.execPath, [...(options.nodeArgs ?? []), join(ROOT, 'bin/portcullis.mjs'), 'serve', '--db', seeded.config.db, '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, NODE_ENV: 'production', ...options.env, ...seeded.env },
    stdio: ['ignore', options.stdout, 'inherit'],
  });
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
  } catch (error) {
    await stopProcess(server);
    throw error;
  }
  seeded.info.settings = {
    process: 'node bin/portcullis.mjs serve (the bundle of npm run build)',
    ...seeded.info.settings,
    uvThreadpoolSize: options.env?.UV_THREADPOOL_SIZE ?? 'one thread per core, at least 2 (bin/portcullis.mjs)',
  };
  return {
    port,
    process: server,
    seeded,
    async close() {
      await stopProcess(server);
      rmSync(seeded.dir, { recursive: true, force: true });
    },
  };
}
