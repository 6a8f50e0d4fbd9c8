import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { AddressInfo } from 'node:net';
import { type App, createApp } from '../../src/app.ts';
import { DEFAULT_THROTTLE } from '../../src/authz/throttle.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { createUser } from '../../src/manage/users.ts';
import { adminCall, type AdminSessionCookie, signIn } from '../helpers/admin.ts';
import { runCli } from '../helpers/cli.ts';
import { requireRedis, TEST_REDIS_URL, testRedisPrefix } from '../helpers/redis.ts';
import { CountingHasher, findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

const FAILURES = DEFAULT_THROTTLE.userIp.failures;

/** Requests come through a trusted proxy on loopback, so each test chooses the client address. */
const THROUGH_PROXY = {
  PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1',
  // The per-username slowdown is real time: kept to milliseconds here.
  PORTCULLIS_THROTTLE_USER_BASE_DELAY_MS: '1',
  PORTCULLIS_THROTTLE_USER_MAX_DELAY_MS: '4',
};

function login(url: string, basic: [string, string], username: string, password: string, ip: string, secrets?: Set<string>) {
  secrets?.add(password);
  return postForm(`${url}/oauth/token`, { grant_type: 'password', username, password }, {
    basic,
    secrets,
    headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' },
  });
}

/** `FAILURES` wrong passwords for one username from one address, spread over the given servers. */
async function spendBudget(servers: { url: string; basic: [string, string] }[], username: string, ip: string, secrets?: Set<string>): Promise<void> {
  for (let i = 0; i < FAILURES; i++) {
    const server = servers[i % servers.length]!;
    const response = await login(server.url, server.basic, username, `wrong-${username}-${i}`, ip, secrets);
    assert.equal(response.status, 400, `failure ${i} on ${server.url}`);
  }
}

describe('locked accounts on the embedded SQLite deployment', () => {
  let server: TestServer;
  let basic: [string, string];
  let session: AdminSessionCookie;
  const password = 'correct horse battery staple';

  before(async () => {
    server = await startTestServer({ env: THROUGH_PROXY });
    const client = await server.client({ grants: ['password'] });
    basic = [client.id, client.secret!];
    for (const name of ['erin', 'frank', 'grace']) await server.user(name, password);
    session = await signIn(server);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  const attempt = (username: string, pw: string, ip: string) => login(server.url, basic, username, pw, ip, server.secrets);

  test('the admin API lists a blocked account, and unlocking it lets the right password in at once', async () => {
    await spendBudget([{ url: server.url, basic }], 'erin', '203.0.113.9', server.secrets);
    assert.equal((await attempt('erin', password, '203.0.113.9')).status, 429);

    const listed = await adminCall(server, 'GET', '/throttle', { session });
    assert.equal(listed.status, 200);
    const erin = listed.body.filter((block: { username: string | null }) => block.username === 'erin');
    assert.deepEqual(erin.map((block: { counter: string; ip: string | null }) => `${block.counter} ${block.ip}`).sort(), [
      'user null', // the growing delay across addresses started with the same failure
      'user_ip 203.0.113.9',
    ]);
    const pair = erin.find((block: { counter: string }) => block.counter === 'user_ip');
    assert.equal(Date.parse(pair.until) - Date.parse(pair.since), DEFAULT_THROTTLE.userIp.blockSeconds * 1000);

    // The name is matched as the throttle counts it: case does not matter.
    const unlocked = await adminCall(server, 'POST', '/throttle/unlock', { session, body: { username: 'Erin' } });
    assert.equal(unlocked.status, 200);
    assert.deepEqual(unlocked.body, { username: 'erin', cleared: 2 });

    assert.equal((await attempt('erin', password, '203.0.113.9')).status, 200);
    const after = await adminCall(server, 'GET', '/throttle', { session });
    assert.deepEqual(after.body.filter((block: { username: string | null }) => block.username === 'erin'), []);
  });

  test('`portcullis user unlock` clears the running server\'s counters in the same database file', async () => {
    await spendBudget([{ url: server.url, basic }], 'frank', '203.0.113.10', server.secrets);
    assert.equal((await attempt('frank', password, '203.0.113.10')).status, 429);

    const result = await runCli(['user', 'unlock', '--username', 'frank', '--db', server.dbPath, '--json']);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.json(), { username: 'frank', cleared: 2 });

    assert.equal((await attempt('frank', password, '203.0.113.10')).status, 200);
  });

  test('unlocking an address lifts its block for every username', async () => {
    const ip = '198.51.100.77';
    await spendBudget([{ url: server.url, basic }], 'grace', ip, server.secrets);
    assert.equal((await attempt('grace', password, ip)).status, 429);
    const unlocked = await adminCall(server, 'POST', '/throttle/unlock', { session, body: { ip } });
    assert.equal(unlocked.status, 200);
    assert.equal(unlocked.body.ip, ip);
    assert.equal((await attempt('grace', password, ip)).status, 200);
  });

  test('unlock takes exactly one of username and ip', async () => {
    for (const body of [{}, { username: 'erin', ip: '192.0.2.1' }]) {
      const response = await adminCall(server, 'POST', '/throttle/unlock', { session, body });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_request');
    }
  });
});

describe('SQLite counters survive a restart', () => {
  let dir: string;
  let app: App | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-throttle-'));
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(): Promise<{ app: App; url: string }> {
    const config = loadConfig(
      { db: join(dir, 'portcullis.db'), port: 0, config: undefined },
      { PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests', PORTCULLIS_LOG_LEVEL: 'silent', ...THROUGH_PROXY },
    );
    const started = await createApp(config, {
      clock: new ManualClock(),
      hasher: new CountingHasher(),
      logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }),
    });
    await started.server.listen({ port: 0, host: '127.0.0.1' });
    return { app: started, url: `http://127.0.0.1:${(started.server.server.address() as AddressInfo).port}` };
  }

  test('a block started before the restart still holds after it', async () => {
    const first = await start();
    app = first.app;
    const { client, secret } = await registerClient(first.app.store, first.app.ctx.clock, { name: 'restart-app', type: 'confidential', grants: ['password'] });
    const basic: [string, string] = [client.id, secret!];
    await createUser(first.app.store, first.app.ctx.hasher, first.app.ctx.clock, { username: 'heidi', password: 'right-password' });
    await spendBudget([{ url: first.url, basic }], 'heidi', '203.0.113.44');
    await first.app.close();

    const second = await start();
    app = second.app;
    const refused = await login(second.url, basic, 'heidi', 'right-password', '203.0.113.44');
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error, 'too_many_attempts');
  });
});

describe('redis_url', () => {
  test('a value that is not a redis:// URL stops start-up, naming the setting and not the value', () => {
    assert.throws(
      () => loadConfig({ config: undefined }, { PORTCULLIS_REDIS_URL: 'http://user:s3cret@cache:6379' }),
      (error: Error) => error.message === 'PORTCULLIS_REDIS_URL must be a redis:// or rediss:// URL',
    );
  });

  test('unset, the counters stay in the database; the key prefix defaults and is checked', () => {
    assert.equal(loadConfig({ config: undefined }, {}).redis, undefined);
    assert.deepEqual(loadConfig({ config: undefined }, { PORTCULLIS_REDIS_URL: 'rediss://:pw@cache:6380/2' }).redis, {
      url: 'rediss://:pw@cache:6380/2',
      keyPrefix: 'portcullis',
    });
    assert.throws(
      () => loadConfig({ config: undefined }, { PORTCULLIS_REDIS_URL: 'redis://cache', PORTCULLIS_REDIS_KEY_PREFIX: 'has space' }),
      /PORTCULLIS_REDIS_KEY_PREFIX must be 1 to 100 letters/,
    );
  });

  test('an unreachable Redis stops `serve` with one line naming redis_url', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-redis-'));
    try {
      const result = await runCli(['serve', '--port', '0', '--db', join(dir, 'portcullis.db')], {
        env: { PORTCULLIS_REDIS_URL: 'redis://:s3cret@127.0.0.1:1', PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests', PORTCULLIS_CONFIG: '/dev/null' },
      });
      assert.equal(result.code, 1);
      assert.equal(result.stderr, 'portcullis: redis_url: cannot reach Redis at 127.0.0.1:1 (ECONNREFUSED)\n');
      assert.doesNotMatch(result.stdout + result.stderr, /s3cret/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

if (await requireRedis('throttling counters in Redis')) {
  describe('two instances with Redis share their counters', () => {
    const redis = testRedisPrefix();
    const servers: TestServer[] = [];
    const nodes: { url: string; basic: [string, string] }[] = [];
    const password = 'correct horse battery staple';

    before(async () => {
      // Two instances on separate SQLite files: only Redis connects their counters.
      for (let i = 0; i < 2; i++) {
        const server = await startTestServer({
          env: { ...THROUGH_PROXY, PORTCULLIS_REDIS_URL: TEST_REDIS_URL, PORTCULLIS_REDIS_KEY_PREFIX: redis.prefix },
        });
        servers.push(server);
        const client = await server.client({ grants: ['password'] });
        nodes.push({ url: server.url, basic: [client.id, client.secret!] });
        await server.user('ivan', password);
      }
    });
    after(async () => {
      for (const server of servers) {
        assert.deepEqual(findLeaks(server.logs, server.secrets), []);
        await server.close();
      }
      await redis.cleanup();
    });

    test('failures spread over A and B block the (username, address) on both; an unlock on one frees both', async () => {
      const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
      await spendBudget(nodes, 'ivan', '203.0.113.50', servers[0]!.secrets);
      assert.equal((await login(a.url, a.basic, 'ivan', password, '203.0.113.50')).status, 429);
      assert.equal((await login(b.url, b.basic, 'ivan', password, '203.0.113.50')).status, 429);

      // The block is recorded in the store of the instance that saw the last failure (in a real
      // cluster they share one database); the unlock clears the shared counters in Redis.
      const recorder = servers[(FAILURES - 1) % servers.length]!;
      const other = nodes[FAILURES % servers.length]!;
      const session = await signIn(recorder);
      const unlocked = await adminCall(recorder, 'POST', '/throttle/unlock', { session, body: { username: 'ivan' } });
      assert.equal(unlocked.status, 200);
      assert.equal(unlocked.body.cleared, 2);
      assert.equal((await login(other.url, other.basic, 'ivan', password, '203.0.113.50')).status, 200);
    });
  });
}
