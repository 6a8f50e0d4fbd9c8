import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_THROTTLE } from '../../src/authz/throttle.ts';
import { systemClock } from '../../src/core/clock.ts';
import { Argon2Hasher } from '../../src/core/password-hash.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { createUser } from '../../src/manage/users.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { runCli } from '../helpers/cli.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';

// Three `portcullis serve` processes on one PostgreSQL database (a new one per run): their
// brute-force counters live in that database, so the cluster counts failures as one (docs/security.md, docs/deployment.md).
if (await requirePostgres('throttling across a cluster on PostgreSQL')) {
  describe('a cluster of three instances counts failed logins as one', () => {
    let database: TestDatabase;
    let store: PostgresStore;
    let nodes: ServerProcess[];
    let basic: [string, string];
    const password = 'correct horse battery';

    before(async () => {
      database = await createTestDatabase();
      store = new PostgresStore(database.url);
      await store.migrate();
      const { client, secret } = await registerClient(store, systemClock, { name: 'cluster-app', type: 'confidential', grants: ['password'] });
      basic = [client.id, secret!];
      await createUser(store, new Argon2Hasher(), systemClock, { username: 'alice', password });
      nodes = await Promise.all(
        [0, 1, 2].map(() =>
          startServerProcess({
            ...database.env,
            // The per-username slowdown is real time: kept to milliseconds here.
            PORTCULLIS_THROTTLE_USER_BASE_DELAY_MS: '1',
            PORTCULLIS_THROTTLE_USER_MAX_DELAY_MS: '4',
          }),
        ),
      );
    });

    after(async () => {
      await Promise.all((nodes ?? []).map((node) => node.stop()));
      await store?.close();
      await database?.drop();
    });

    // A connection per login: the CLI's run below can leave the kept-alive ones idle for as long as the
    // servers keep them (10 s), and a login sent on one the server is closing that moment fails with
    // ECONNRESET (seen at load average 11), which says nothing about the throttle.
    const login = (node: ServerProcess, pw: string) =>
      postForm(`${node.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: pw }, { basic, headers: { connection: 'close' } });

    it('failures spread over A, B and C block the account on all three; `user unlock` frees it everywhere', async () => {
      // Every instance sees only a third of the failures: alone, none would block.
      for (let i = 0; i < DEFAULT_THROTTLE.userIp.failures; i++) {
        const response = await login(nodes[i % 3]!, `wrong-${i}`);
        assert.equal(response.status, 400, `failure ${i}`);
      }
      for (const node of nodes) {
        const refused = await login(node, password);
        assert.equal(refused.status, 429, node.url);
        assert.equal(refused.body.error, 'too_many_attempts');
        assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      }

      const blocks = await store.listThrottleBlocks({ now: systemClock.nowSeconds(), username: 'alice' });
      assert.deepEqual(blocks.map((block) => `${block.counter} ${block.ip}`).sort(), ['user null', 'user_ip 127.0.0.1']);

      const unlocked = await runCli(['user', 'unlock', '--username', 'alice', '--database-url', database.url, '--json'], {
        env: { PORTCULLIS_CONFIG: '/dev/null' },
      });
      assert.equal(unlocked.code, 0, unlocked.stderr);
      assert.deepEqual(unlocked.json(), { username: 'alice', cleared: 2 });
      for (const node of nodes) assert.equal((await login(node, password)).status, 200, node.url);
    });
  });
}
