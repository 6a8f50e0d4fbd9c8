import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { type Clock, ManualClock } from '../../src/core/clock.ts';
import { Argon2Hasher, type PasswordHasher } from '../../src/core/password-hash.ts';
import { type ClientInput, registerClient } from '../../src/manage/clients.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { createUser } from '../../src/manage/users.ts';
import { CheapHasher } from './cheap-hasher.ts';

/** A password that meets the policy (docs/security.md#passwords-set-through-portcullis), for tests that need any valid one. */
export const TEST_PASSWORD = 'test-password-meets-policy-1';

/**
 * A hasher that counts what it is asked to do, around `inner`: the cheap argon2id of
 * cheap-hasher.ts unless a test passes the production one (for tests of hashing itself).
 */
export class CountingHasher implements PasswordHasher {
  constructor(readonly inner: CheapHasher | Argon2Hasher = new CheapHasher()) {}
  hashes = 0;
  verifies = 0;
  dummyVerifies = 0;
  hash(password: string) {
    this.hashes++;
    return this.inner.hash(password);
  }
  verify(stored: string, password: string) {
    this.verifies++;
    return this.inner.verify(stored, password);
  }
  verifyDummy(password: string) {
    this.dummyVerifies++;
    return this.inner.verifyDummy(password);
  }
  needsRehash(stored: string) {
    return this.inner.needsRehash(stored);
  }
}

export interface TestServer {
  url: string;
  app: App;
  clock: ManualClock;
  hasher: CountingHasher;
  dbPath: string;
  /** Every log line the server wrote. */
  logs: string[];
  /** Every credential the test handled, for the log-leak check. */
  secrets: Set<string>;
  client(input: Partial<ClientInput> & { grants: string[] }): Promise<{ id: string; secret: string | undefined }>;
  user(username: string, password: string, groups?: string[]): Promise<void>;
  scope(name: string, resources?: string[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a real Portcullis on a loopback port, with a fresh SQLite file and a manual clock.
 * Passwords are hashed with the cheap argon2id of cheap-hasher.ts; `realArgon2` gives the server
 * the production hasher, for tests of hashing itself or that depend on its cost.
 */
export async function startTestServer(options: { env?: Record<string, string>; clock?: Clock; realArgon2?: boolean } = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-test-'));
  const dbPath = join(dir, 'portcullis.db');
  const logs: string[] = [];
  const clock = (options.clock as ManualClock | undefined) ?? new ManualClock();
  const hasher = new CountingHasher(options.realArgon2 ? new Argon2Hasher() : new CheapHasher());
  const config = loadConfig(
    { db: dbPath, port: 0, config: undefined },
    { PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests', PORTCULLIS_LOG_LEVEL: 'info', PORTCULLIS_SETTINGS_MAX_AGE: '0',
      // No background purge at a random moment: tests that want one ask for it.
      PORTCULLIS_PURGE_INTERVAL: '0',
      ...options.env },
  );
  const app = await createApp(config, {
    clock,
    hasher,
    logDestination: new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    }),
  });
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.server.address() as AddressInfo;
  // The configured port was 0; publish the real address as the issuer, as `serve` would.
  app.ctx.issuer = `http://127.0.0.1:${port}`;
  const secrets = new Set<string>(['admin-password-for-tests']);
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    clock,
    hasher,
    dbPath,
    logs,
    secrets,
    async client(input) {
      const { client, secret } = await registerClient(app.store, clock, {
        name: input.name ?? `client-${Math.random().toString(36).slice(2)}`,
        type: input.type ?? 'confidential',
        ...input,
      });
      if (secret) secrets.add(secret);
      return { id: client.id, secret };
    },
    async user(username, password, groups = []) {
      secrets.add(password);
      await createUser(app.store, app.ctx.hasher, clock, { username, password, groups });
    },
    async scope(name, resources = []) {
      await saveScope(app.store, { name, description: '', resources }, clock);
    },
    async close() {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FormResponse {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
  text: string;
}

/** POSTs a form over real HTTP; `basic` sends HTTP Basic client authentication (RFC 6749 §2.3.1). */
export async function postForm(
  url: string,
  params: Record<string, string>,
  options: { basic?: [string, string]; headers?: Record<string, string>; secrets?: Set<string> } = {},
): Promise<FormResponse> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...options.headers };
  if (options.basic) {
    const [id, secret] = options.basic.map((part) => encodeURIComponent(part));
    headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }
  const response = await fetch(url, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // Not JSON; tests that care look at `text`.
  }
  for (const key of ['access_token', 'refresh_token'] as const) {
    if (typeof body[key] === 'string') options.secrets?.add(body[key]);
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** Asserts that none of the given credentials appears in any log line. */
export function findLeaks(logs: string[], secrets: Iterable<string>): string[] {
  const text = logs.join('');
  return [...secrets].filter((secret) => secret.length >= 6 && text.includes(secret));
}
