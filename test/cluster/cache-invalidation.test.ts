import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../src/core/clock.ts';
import { Argon2Hasher } from '../../src/core/password-hash.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { createUser } from '../../src/manage/users.ts';
import { CHANGE_FEED_APPLICATION } from '../../src/store/postgres/change-feed.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { adminCall, type AdminSessionCookie, signIn } from '../helpers/admin.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { postForm, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

/** What docs/architecture.md promises: a change is seen by every instance within this many ms. */
const SEEN_WITHIN_MS = 1_000;

/**
 * Asks `check` until it holds, failing once SEEN_WITHIN_MS have passed since the change returned.
 * Only behaviour is asserted: how soon within the bound is the bench's business.
 */
async function seenWithin(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + SEEN_WITHIN_MS;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) assert.fail(`${what}: not seen within ${SEEN_WITHIN_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// Two `portcullis serve` processes on one PostgreSQL database, each with its read caches
// (docs/architecture.md): what one changes, the other sees within a second, also after its change
// feed was cut, and so for what the CLI changes.
if (await requirePostgres('cache invalidation across instances (two instances on PostgreSQL)')) {
  describe('read caches of two instances on one PostgreSQL', () => {
    let database: TestDatabase;
    let a: ServerProcess;
    let b: ServerProcess;
    let session: AdminSessionCookie;
    let ropc: [string, string];

    /** A new confidential client with every grant the tests use. */
    const newClient = async (name: string): Promise<[string, string]> => {
      const store = new PostgresStore(database.url);
      try {
        const made = await registerClient(store, systemClock, {
          name,
          type: 'confidential',
          grants: ['password', 'refresh_token', 'client_credentials'],
          scopes: ['read', 'write'],
          introspect: true,
        });
        return [made.client.id, made.secret!];
      } finally {
        await store.close();
      }
    };
    const issue = (node: ServerProcess, basic: [string, string], scope?: string) =>
      postForm(`${node.url}/oauth/token`, { grant_type: 'client_credentials', ...(scope && { scope }) }, { basic });
    const active = async (node: ServerProcess, token: string, basic: [string, string]) =>
      (await postForm(`${node.url}/oauth/introspect`, { token }, { basic })).body.active === true;
    const admin = (node: ServerProcess, method: string, path: string, body?: unknown) =>
      adminCall({ url: node.url } as TestServer, method, path, { session, ...(body !== undefined && { body }) });
    /** The backend of `node`'s change feed, by application_name. */
    const feedBackend = async (node: ServerProcess): Promise<number | undefined> => {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [`${CHANGE_FEED_APPLICATION} ${node.child.pid}`]);
        return rows[0]?.pid as number | undefined;
      } finally {
        await client.end();
      }
    };

    before(async () => {
      database = await createTestDatabase();
      const store = new PostgresStore(database.url);
      try {
        await store.migrate();
        await saveScope(store, { name: 'read', description: '', resources: [] });
        await saveScope(store, { name: 'write', description: '', resources: [] });
        await createUser(store, new Argon2Hasher(), systemClock, { username: 'alice', password: TEST_PASSWORD });
      } finally {
        await store.close();
      }
      ropc = await newClient('cache-ropc');
      [a, b] = await Promise.all([startServerProcess(database.env), startServerProcess(database.env)]);
      session = await signIn({ url: a.url, secrets: new Set<string>() } as unknown as TestServer);
    });

    after(async () => {
      await Promise.all([a, b].map((node) => node?.stop()));
      await database?.drop();
    });

    it('a token revoked through A is inactive on B within a second, and on A at once', async () => {
      const token = (await issue(a, ropc)).body.access_token as string;
      // Read twice on B: the second answer comes from its cache.
      assert.equal(await active(b, token, ropc), true);
      assert.equal(await active(b, token, ropc), true);
      assert.equal((await postForm(`${a.url}/oauth/revoke`, { token }, { basic: ropc })).status, 200);
      assert.equal(await active(a, token, ropc), false, 'the instance that revoked never answers from an old entry');
      await seenWithin('revocation on B', async () => !(await active(b, token, ropc)));
    });

    it("a password changed through A ends the user's tokens on B within a second", async () => {
      const login = await postForm(`${a.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: TEST_PASSWORD }, { basic: ropc });
      assert.equal(login.status, 200);
      const token = login.body.access_token as string;
      assert.equal(await active(b, token, ropc), true);
      assert.equal(await active(b, token, ropc), true);
      assert.equal((await admin(a, 'PUT', '/users/alice/password', { password: `${TEST_PASSWORD}-next` })).status, 204);
      await seenWithin('password change on B', async () => !(await active(b, token, ropc)));
      const old = await postForm(`${b.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: TEST_PASSWORD }, { basic: ropc });
      assert.equal(old.body.error, 'invalid_grant');
    });

    it('a secret rotated, a client disabled and a scope taken away through A hold on B within a second', async () => {
      const rotated = await newClient('cache-rotated');
      assert.equal((await issue(b, rotated)).status, 200);
      const answer = await admin(a, 'POST', `/clients/${rotated[0]}/secret`);
      assert.equal(answer.status, 200);
      const secret = answer.body.client_secret as string;
      await seenWithin('rotated secret on B', async () => (await issue(b, rotated)).status === 401);
      assert.equal((await issue(b, [rotated[0], secret])).status, 200);

      const disabled = await newClient('cache-disabled');
      assert.equal((await issue(b, disabled)).status, 200);
      assert.equal((await admin(a, 'PATCH', `/clients/${disabled[0]}`, { enabled: false })).status, 200);
      await seenWithin('disabled client on B', async () => (await issue(b, disabled)).status === 401);

      const narrowed = await newClient('cache-narrowed');
      assert.equal((await issue(b, narrowed, 'write')).status, 200);
      assert.equal((await admin(a, 'PUT', `/clients/${narrowed[0]}/scopes`, { scopes: ['read'] })).status, 200);
      await seenWithin('scope taken away on B', async () => (await issue(b, narrowed, 'write')).body.error === 'invalid_scope');
    });

    it("a change made while B's change feed is cut is seen by B within a second, and so are those after it is back", async () => {
      const first = (await issue(a, ropc)).body.access_token as string;
      const second = (await issue(a, ropc)).body.access_token as string;
      for (const token of [first, second, first, second]) assert.equal(await active(b, token, ropc), true);

      const cut = await feedBackend(b);
      assert.ok(cut, "B's change feed listens under its application_name");
      const killer = new pg.Client({ connectionString: database.url });
      await killer.connect();
      try {
        await killer.query('SELECT pg_terminate_backend($1)', [cut]);
      } finally {
        await killer.end();
      }
      assert.equal((await postForm(`${a.url}/oauth/revoke`, { token: first }, { basic: ropc })).status, 200);
      await seenWithin('revocation on B while its feed is down', async () => !(await active(b, first, ropc)));

      await seenWithin('a new change feed on B', async () => {
        const backend = await feedBackend(b);
        return backend !== undefined && backend !== cut;
      });
      assert.equal(await active(b, second, ropc), true);
      assert.equal(await active(b, second, ropc), true);
      assert.equal((await postForm(`${a.url}/oauth/revoke`, { token: second }, { basic: ropc })).status, 200);
      await seenWithin('revocation on B once its feed is back', async () => !(await active(b, second, ropc)));
    });

    it('a client disabled and a token revoked through the CLI are seen by both instances within a second', async () => {
      const cli = await newClient('cache-cli');
      const token = (await issue(a, cli)).body.access_token as string;
      for (const node of [a, b, a, b]) assert.equal(await active(node, token, cli), true);

      const revoked = await runCli(['token', 'revoke', '--token-stdin'], { stdin: token, env: database.env });
      assert.equal(revoked.code, 0, revoked.stderr);
      for (const node of [a, b]) await seenWithin(`CLI revocation on ${node.url}`, async () => !(await active(node, token, cli)));

      const disabled = await runCli(['client', 'disable', cli[0]], { env: database.env });
      assert.equal(disabled.code, 0, disabled.stderr);
      for (const node of [a, b]) await seenWithin(`CLI disable on ${node.url}`, async () => (await issue(node, cli)).status === 401);
    });
  });
}
