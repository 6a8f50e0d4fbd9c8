import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { PasswordHasher } from '../../src/core/password-hash.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { createUser } from '../../src/manage/users.ts';
import { freePort, stopProcess, waitForHttp } from '../lib/processes.ts';
import type { TargetStarter } from '../lib/target.ts';

const instantHasher: PasswordHasher = {
  hash: async (password) => `instant:${password}`,
  verify: async (stored, password) => stored === `instant:${password}`,
  verifyDummy: async () => undefined,
};

/** The bench's scope, user and clients, made through the same store operations as the CLI. */
async function seedBench(store: App['store'], hasher: PasswordHasher): Promise<BenchClients> {
  await saveScope(store, { name: 'bench', description: 'benchmark scope', resources: ['bench'] });
  await createUser(store, hasher, systemClock, { username: 'bench-user', password: 'correct horse battery staple' });
  const ropc = await registerClient(store, systemClock, {
    name: 'bench-ropc',
    type: 'confidential',
    grants: ['password', 'refresh_token'],
    scopes: ['bench'],
  });
  const service = await registerClient(store, systemClock, {
    name: 'bench-service',
    type: 'confidential',
    grants: ['client_credentials'],
    scopes: ['bench'],
  });

  const jwtService = await registerClient(store, systemClock, {
    name: 'bench-service-jwt',
    type: 'confidential',
    grants: ['client_credentials'],
    scopes: ['bench'],
    tokenFormat: 'jwt',
  });
  return {
    ropcClient: { id: ropc.client.id, secret: ropc.secret },
    serviceClient: { id: service.client.id, secret: service.secret },
    jwtServiceClient: { id: jwtService.client.id, secret: jwtService.secret },
  };
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

type App = Awaited<ReturnType<typeof createApp>>;
type Credentials = { id: string; secret: string | undefined };
interface BenchClients {
  ropcClient: Credentials;
  serviceClient: Credentials;
  jwtServiceClient: Credentials;
}

/**
 * `portcullis serve` itself (bin/portcullis.mjs: the bundle `npm run build` makes, or the sources
 * through tsx when the bundle is out of date), in a process of its own started by this target, on
 * a fresh SQLite file that this target seeds first through the same store operations as the CLI.
 * The runner's CPU and memory figures are the serve process's (StartedTarget.pid).
 * With `instantHash` (bench/threads.ts only), Portcullis runs in this process instead, with a
 * hasher that does no work, to see what a grant costs besides the hash.
 * With `databaseUrl` (and `secretKey`, the cluster's PORTCULLIS_SECRET_KEY) it serves from that
 * PostgreSQL database instead; `seeded` (the `info` of another instance on the same database)
 * skips the seeding, and `env` adds to the serve process's environment (bench/postgres.ts).
 */
export const start: TargetStarter = async (options) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-'));
  const env: Record<string, string> = {
    PORTCULLIS_ADMIN_PASSWORD: 'bench-admin-password',
    // The throttle stays on (every password attempt reserves a failure before its hash and is refunded
    // on success), but one bench user logs in 32 times at once from loopback: with the default budget
    // of 10 failures per (user, address) the reservations in flight alone would block it.
    PORTCULLIS_THROTTLE_USER_IP_FAILURES: '10000',
    PORTCULLIS_THROTTLE_IP_FAILURES: '10000',
  };
  if (typeof options.logLevel === 'string') env.PORTCULLIS_LOG_LEVEL = options.logLevel;
  const databaseUrl = typeof options.databaseUrl === 'string' ? options.databaseUrl : undefined;
  if (databaseUrl !== undefined) Object.assign(env, { PORTCULLIS_DATABASE_URL: databaseUrl, PORTCULLIS_SECRET_KEY: String(options.secretKey) });
  Object.assign(env, options.env);
  const seeded = options.seeded as BenchClients | undefined;
  const inProcess = options.instantHash === true;
  const port = inProcess ? 0 : await freePort();
  const config = loadConfig({ db: join(dir, 'portcullis.db'), port, host: '127.0.0.1', config: undefined }, env);
  const app = await createApp(config, inProcess ? { hasher: instantHasher } : {});
  const { store, ctx } = app;

  const clients = seeded ?? (await seedBench(store, ctx.hasher));

  let server: ChildProcess | undefined;
  let serverPort: number;
  if (inProcess) {
    await app.server.listen({ port: 0, host: '127.0.0.1' });
    serverPort = (app.server.server.address() as AddressInfo).port;
  } else {
    await app.close();
    const nodeArgs = Array.isArray(options.nodeArgs) ? (options.nodeArgs as string[]) : [];
    server = spawn(process.execPath, [...nodeArgs, join(ROOT, 'bin/portcullis.mjs'), 'serve', '--db', config.db, '--port', String(port), '--host', '127.0.0.1'], {
      env: { ...process.env, ...env },
      // Logs go where the runner's stdout for targets goes (/dev/null): paid for, not read.
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, server);
    serverPort = port;
  }
  return {
    port: serverPort,
    ...(server?.pid !== undefined ? { pid: server.pid } : {}),
    info: {
      settings: {
        process: inProcess ? 'in the bench child, instant hasher (diagnostics)' : 'node bin/portcullis.mjs serve (the bundle of npm run build)',
        store: databaseUrl === undefined ? 'SQLite (WAL, synchronous=NORMAL), fresh file' : 'PostgreSQL',
        logLevel: config.logLevel,
        argon2: config.argon2,
        uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (libuv default)',
        throttle: 'on, shared counters in the SQLite file; user_ip and ip budgets 10000 (defaults 10 and 100) so that 32 parallel logins of one user from loopback are not refused',
      },
      username: 'bench-user',
      password: 'correct horse battery staple',
      ...clients,
      paths: { token: '/oauth/token', introspect: '/oauth/introspect' },
    },
    rpc: {
      // A second, read-only connection: counting is the bench's business, not the store seam's.
      async countTokens() {
        const db = new Database(config.db, { readonly: true });
        try {
          const now = Math.floor(Date.now() / 1000);
          const tokens = (db.prepare('SELECT count(*) AS n FROM tokens').get() as { n: number }).n;
          const live = (
            db
              .prepare('SELECT count(*) AS n FROM tokens WHERE revoked_at IS NULL AND rotated_at IS NULL AND (expires_at IS NULL OR expires_at > ?)')
              .get(now) as { n: number }
          ).n;
          return { tokens, live };
        } finally {
          db.close();
        }
      },
    },
    async close() {
      if (server) await stopProcess(server);
      else await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
