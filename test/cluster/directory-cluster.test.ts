import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/core/clock.ts';
import { setAcl } from '../../src/manage/acls.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { saveService } from '../../src/manage/services.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';
import { directoryEnv, group, person, requireSlapd, type Slapd, startSlapd, userDn } from '../helpers/slapd.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

const TREE = [person('alice', 'alice-directory-password'), person('bob', 'bob-directory-password'), group('staff', [userDn('alice')])].join('\n');

// Two `portcullis serve` processes on one PostgreSQL database and one OpenLDAP (docs/directory.md, docs/deployment.md).
if ((await requirePostgres('cluster with a directory (two instances on PostgreSQL)')) && requireSlapd('cluster with a directory (two instances on PostgreSQL)')) {
  describe('two instances on one PostgreSQL with one directory', () => {
    let database: TestDatabase;
    let store: PostgresStore;
    let slapd: Slapd;
    let upstream: Upstream;
    let nodes: [ServerProcess, ServerProcess];
    let basic: [string, string];

    before(async () => {
      database = await createTestDatabase();
      slapd = await startSlapd({ ldif: TREE });
      upstream = await startUpstream();
      store = new PostgresStore(database.url);
      await store.migrate();
      await saveScope(store, { name: 'orders', description: '', resources: ['orders'] }, systemClock);
      const { client, secret } = await registerClient(store, systemClock, { name: 'cluster-app', type: 'confidential', grants: ['password'], scopes: ['orders'] });
      basic = [client.id, secret!];
      await saveService(store, systemClock, { name: 'orders.v1:get', upstream: `${upstream.url}/orders` });
      // Both start together: their mapped groups and name checks race on the shared database.
      const env = { ...database.env, ...directoryEnv(slapd, { PORTCULLIS_DIRECTORY_TIMEOUT_MS: '1000' }) };
      const [a, b] = await Promise.all([startServerProcess(env), startServerProcess(env)]);
      nodes = [a, b];
      await setAcl(store, { resource: 'orders', allow: ['staff'], deny: [] });
    });

    after(async () => {
      await Promise.all((nodes ?? []).map((node) => node.stop()));
      await store?.close();
      await database?.drop();
      await upstream?.close();
      await slapd?.close();
    });

    const login = (node: ServerProcess, username: string, password: string) =>
      postForm(`${node.url}/oauth/token`, { grant_type: 'password', username, password }, { basic });
    const call = (node: ServerProcess, token: string) => fetch(`${node.url}/invoke/orders.v1/get`, { headers: { authorization: `Bearer ${token}` } });

    it('both instances started, and the mapped group exists once', async () => {
      assert.deepEqual((await store.listGroups()).filter((name) => name === 'staff'), ['staff']);
      for (const node of nodes) {
        const ready = (await (await fetch(`${node.url}/readyz`)).json()) as { directory: { status: string } };
        assert.equal(ready.directory.status, 'up');
      }
    });

    it('a directory user logs in on A; B introspects the token and passes it through the ACL with the shared copy', async () => {
      const [a, b] = nodes;
      const issued = await login(a, 'alice', 'alice-directory-password');
      assert.equal(issued.status, 200, issued.text);
      const token = issued.body.access_token as string;
      assert.equal((await postForm(`${b.url}/oauth/introspect`, { token }, { basic })).body.active, true);
      assert.equal((await call(b, token)).status, 200);
      const bob = await login(b, 'bob', 'bob-directory-password');
      assert.equal(bob.status, 200);
      assert.equal((await call(a, bob.body.access_token as string)).status, 403, 'bob is in no mapped group');
    });

    it('directory down: 503 for directory users on both, Administrator on both, tokens still pass; back: both log in again', async () => {
      const issued = await login(nodes[1], 'alice', 'alice-directory-password');
      await slapd.stop();
      try {
        for (const node of nodes) {
          const answer = await login(node, 'alice', 'alice-directory-password');
          assert.equal(answer.status, 503, answer.text);
          assert.equal(answer.body.error, 'temporarily_unavailable');
          assert.equal((await login(node, 'Administrator', 'admin-password-for-tests')).status, 200);
          assert.equal((await call(node, issued.body.access_token as string)).status, 200);
        }
      } finally {
        await slapd.start();
      }
      for (const node of nodes) assert.equal((await login(node, 'alice', 'alice-directory-password')).status, 200);
    });
  });
}
