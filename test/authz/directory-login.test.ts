import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.ts';
import { setAcl } from '../../src/manage/acls.ts';
import { createUser } from '../../src/manage/users.ts';
import { saveService } from '../../src/manage/services.ts';
import { adminCall, signIn } from '../helpers/admin.ts';
import { findLeaks, type FormResponse, postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { directoryEnv, group, person, requireSlapd, SERVICE_DN, SERVICE_PASSWORD, type Slapd, startSlapd, userDn } from '../helpers/slapd.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

const TREE = [
  person('alice', 'alice-directory-password'),
  person('bob', 'bob-directory-password'),
  person('carol', 'carol-directory-password', { employeeType: 'disabled' }),
  person('dave', 'dave-directory-password'),
  group('staff', [userDn('alice'), userDn('bob'), userDn('carol')]),
  group('portcullis-admins', [userDn('alice')], 'groupOfUniqueNames'),
].join('\n');

if (requireSlapd('password grant with users from a real OpenLDAP')) {
  describe('the password grant for directory users (docs/directory.md)', () => {
    let slapd: Slapd;
    let server: TestServer;
    let upstream: Upstream;
    let basic: [string, string];

    const login = (username: string, password: string) =>
      postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password }, { basic, secrets: server.secrets });
    const call = (token: string) => fetch(`${server.url}/invoke/orders.v1/get`, { headers: { authorization: `Bearer ${token}` } });
    const audit = async () => {
      await server.app.ctx.audit.flush();
      return server.app.store.listAudit({ limit: 50 });
    };

    before(async () => {
      slapd = await startSlapd({ ldif: TREE });
      server = await startTestServer({ env: directoryEnv(slapd) });
      for (const password of [SERVICE_PASSWORD, 'alice-directory-password', 'bob-directory-password', 'carol-directory-password', 'dave-directory-password']) {
        server.secrets.add(password);
      }
      upstream = await startUpstream();
      await server.scope('orders', ['orders']);
      const client = await server.client({ grants: ['password', 'refresh_token'], scopes: ['orders'] });
      basic = [client.id, client.secret!];
      await saveService(server.app.store, server.clock, { name: 'orders.v1:get', upstream: `${upstream.url}/orders` });
      await setAcl(server.app.store, { resource: 'orders', allow: ['staff'], deny: [] });
    });

    after(async () => {
      assert.deepEqual(findLeaks(server?.logs ?? [], server?.secrets ?? []), [], 'no password, secret or token in any log line');
      await server?.close();
      await upstream?.close();
      await slapd?.close();
    });

    it('the group map\'s Portcullis groups exist from the start', async () => {
      assert.ok((await server.app.store.listGroups()).includes('staff'));
    });

    it('a directory user gets tokens, and their mapped group passes the ACL at the gateway', async () => {
      const issued = await login('alice', 'alice-directory-password');
      assert.equal(issued.status, 200, issued.text);
      assert.equal(issued.body.scope, 'orders');
      const answer = await call(issued.body.access_token as string);
      assert.equal(answer.status, 200);
      assert.equal(upstream.seen.at(-1)?.headers['x-portcullis-user'], 'alice');
      const copy = await server.app.store.findUser('alice');
      assert.deepEqual([copy?.groups, copy?.directory?.dn, copy?.passwordHash], [['Administrators', 'staff'], userDn('alice'), '']);
    });

    it('a directory user outside the mapped group is refused by the ACL (403 access_denied)', async () => {
      const issued = await login('dave', 'dave-directory-password');
      assert.equal(issued.status, 200);
      const answer = await call(issued.body.access_token as string);
      assert.equal(answer.status, 403);
      assert.equal(((await answer.json()) as { error: string }).error, 'access_denied');
    });

    it('refresh tokens of a directory user rotate like anyone\'s', async () => {
      const issued = await login('bob', 'bob-directory-password');
      const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token as string }, { basic, secrets: server.secrets });
      assert.equal(refreshed.status, 200);
    });

    it('a wrong password, an unknown user and a disabled user get the same answer; the audit log tells them apart', async () => {
      const answers: FormResponse[] = [
        await login('alice', 'not-alices-password'),
        await login('nobody-here', 'some-password'),
        await login('carol', 'carol-directory-password'),
      ];
      for (const answer of answers) {
        assert.equal(answer.status, 400);
        assert.deepEqual(answer.body, { error: 'invalid_grant', error_description: 'invalid resource owner credentials' });
      }
      assert.deepEqual(
        answers.map((answer) => [...answer.headers.keys()].filter((name) => name !== 'date').sort()),
        [0, 1, 2].map(() => [...answers[0]!.headers.keys()].filter((name) => name !== 'date').sort()),
      );
      const failures = (await audit()).filter((record) => record.type === 'login.failed').slice(0, 3).map((record) => record.reason);
      assert.deepEqual(failures.sort(), ['disabled_user', 'unknown_user', 'wrong_password']);
    });

    it('a username with *, (, ), \\ and NUL finds nothing and binds nothing', async () => {
      for (const username of ['*', 'al*', '*)(uid=*', 'alice)(|(uid=*)', 'ali\\2ace', 'alice\u0000', '*\\()\u0000']) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const mark = slapd.mark();
        const answer = await login(username, 'alice-directory-password');
        assert.equal(answer.status, 400, JSON.stringify(username));
        assert.equal(answer.body.error, 'invalid_grant');
        await new Promise((resolve) => setTimeout(resolve, 30));
        for (const dn of slapd.bindsSince(mark)) assert.ok(dn === SERVICE_DN || dn.startsWith('cn=portcullis-no-such-user-'), `${JSON.stringify(username)} bound ${dn}`);
      }
    });

    it('directory users sign in to the admin console when mapped to Administrators; others cannot', async () => {
      const session = await signIn(server, 'alice', 'alice-directory-password');
      assert.equal((await adminCall(server, 'GET', '/session', { session })).body.username, 'alice');
      const refused = await fetch(`${server.url}/admin/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'bob', password: 'bob-directory-password' }),
      });
      assert.equal(refused.status, 401);
    });

    it('directory users are listed read-only: their password, groups and enabled flag are the directory\'s', async () => {
      const session = await signIn(server);
      const users = (await adminCall(server, 'GET', '/users', { session })).body as { username: string; source: string; dn?: string }[];
      assert.deepEqual(users.find((user) => user.username === 'alice'), {
        ...users.find((user) => user.username === 'alice'),
        source: 'directory',
        dn: userDn('alice'),
      });
      assert.equal(users.find((user) => user.username === 'Administrator')?.source, 'local');
      for (const [method, path, body] of [
        ['PATCH', '/users/bob', { groups: [] }],
        ['PATCH', '/users/bob', { enabled: false }],
        ['PUT', '/users/bob/password', { password: 'a-new-password' }],
      ] as const) {
        const answer = await adminCall(server, method, path, { session, body });
        assert.equal(answer.status, 400, `${method} ${path}`);
        assert.match(answer.body.error_description as string, /directory user/);
      }
    });

    it('the throttle runs before any bind: a blocked username and address reach no directory at all', async () => {
      const throttled = await startTestServer({ env: { ...directoryEnv(slapd), PORTCULLIS_THROTTLE_USER_IP_FAILURES: '3' } });
      try {
        const client = await throttled.client({ grants: ['password'] });
        const attempt = () =>
          postForm(`${throttled.url}/oauth/token`, { grant_type: 'password', username: 'bob', password: 'guess' }, { basic: [client.id, client.secret!] });
        for (let i = 0; i < 3; i++) assert.equal((await attempt()).status, 400);
        // Let slapd's log of those attempts arrive before the mark.
        await new Promise((resolve) => setTimeout(resolve, 200));
        const mark = slapd.mark();
        const blocked = await attempt();
        assert.equal(blocked.status, 429);
        assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.doesNotMatch(slapd.logSince(mark), / (BIND|SRCH) /, 'the directory saw nothing of the throttled attempt');
      } finally {
        await throttled.close();
      }
    });

    it('/metrics counts directory operations and says the directory is up', async () => {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /^portcullis_directory_operations_total\{operation="bind",outcome="ok"\} [1-9]\d*$/m);
      assert.match(text, /^portcullis_directory_operations_total\{operation="bind",outcome="refused"\} [1-9]\d*$/m);
      assert.match(text, /^portcullis_directory_up 1$/m);
      assert.match(text, /^portcullis_directory_pool_connections\{pool="search",state="total"\} [1-9]\d*$/m);
    });

    it('a local user and a directory user with one name: start-up fails, naming the user and the setting', async () => {
      const other = await startSlapd({ ldif: person('Administrator', 'x-password') });
      try {
        await assert.rejects(startTestServer({ env: directoryEnv(other) }), (error: Error) => {
          assert.ok(error instanceof ConfigError);
          assert.match(error.message, /directory\.user_filter matches the local user Administrator/);
          return true;
        });
      } finally {
        await other.close();
      }
    });

    it('a directory copy that a local user\'s name would collide with is never written over the local user', async () => {
      // Found by a login rather than at start: the local user is created while the server runs.
      await createUser(server.app.store, server.app.ctx.hasher, server.clock, { username: 'dave2', password: 'local-password-1' });
      slapd.add(person('dave2', 'dave2-directory-password'));
      server.secrets.add('dave2-directory-password');
      // Local first: the local user's password logs in, the directory's does not.
      assert.equal((await login('dave2', 'local-password-1')).status, 200);
      assert.equal((await login('dave2', 'dave2-directory-password')).status, 400);
      // Spelled otherwise, the name is still the local user's (usernames compare canonically,
      // docs/security.md#usernames): the directory's dave2 is never asked, never copied.
      const spelled = await login('DAVE2', 'dave2-directory-password');
      assert.equal(spelled.status, 400);
      assert.equal(spelled.body.error, 'invalid_grant');
      assert.equal((await login('DAVE2', 'local-password-1')).status, 200);
      const local = await server.app.store.findUser('dave2');
      assert.equal(local?.directory, undefined, 'still the local user');
    });
  });
}
