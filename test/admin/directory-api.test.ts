import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCall, passwordGrantToken, signIn } from '../helpers/admin.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { directoryEnv, group, GROUPS, person, requireSlapd, SERVICE_PASSWORD, type Slapd, startSlapd, userDn } from '../helpers/slapd.ts';

const TREE = [
  person('alice', 'alice-directory-password'),
  person('bob', 'bob-directory-password'),
  group('staff', [userDn('alice'), userDn('bob')]),
  group('portcullis-admins', [userDn('alice')], 'groupOfUniqueNames'),
].join('\n');

describe('the admin API without a directory', () => {
  it('GET /directory says none is configured; the test action is 404', async () => {
    const server = await startTestServer();
    try {
      const session = await signIn(server);
      assert.deepEqual((await adminCall(server, 'GET', '/directory', { session })).body, { configured: false });
      const test = await adminCall(server, 'POST', '/directory/test', { session, body: {} });
      assert.equal(test.status, 404);
      assert.equal(test.body.error, 'not_found');
    } finally {
      await server.close();
    }
  });
});

if (requireSlapd('admin API directory view against a real OpenLDAP')) {
  describe('the admin API\'s directory view and test action', () => {
    let slapd: Slapd;
    let server: TestServer;

    before(async () => {
      slapd = await startSlapd({ ldif: TREE });
      server = await startTestServer({ env: { ...directoryEnv(slapd), PORTCULLIS_THROTTLE_USER_IP_FAILURES: '2' } });
      for (const secret of [SERVICE_PASSWORD, 'alice-directory-password', 'bob-directory-password']) server.secrets.add(secret);
    });
    after(async () => {
      assert.deepEqual(findLeaks(server?.logs ?? [], server?.secrets ?? []), []);
      await server?.close();
      await slapd?.close();
    });

    it('shows the effective settings with the bind password masked, and the state', async () => {
      const session = await signIn(server);
      const answer = await adminCall(server, 'GET', '/directory', { session });
      assert.equal(answer.status, 200);
      const body = answer.body as { configured: boolean; settings: Record<string, unknown>; state: { status: string }; name_check: { checked: boolean } };
      assert.equal(body.configured, true);
      assert.equal(body.settings.bind_password, '******** (from the environment)');
      assert.deepEqual(body.settings.urls, [slapd.url]);
      assert.equal(body.settings.group_base, GROUPS);
      assert.deepEqual(body.settings.group_map, { staff: ['staff'], [`cn=portcullis-admins,${GROUPS}`]: ['Administrators'] });
      assert.equal(body.state.status, 'up');
      assert.deepEqual(body.name_check, { checked: true, conflicts: [] });
      assert.ok(!JSON.stringify(body).includes(SERVICE_PASSWORD));
    });

    it('tests the connection, and one user\'s search, bind and groups', async () => {
      const session = await signIn(server);
      const plain = await adminCall(server, 'POST', '/directory/test', { session, body: {} });
      assert.equal(plain.status, 200);
      assert.equal(plain.body.ok, true);
      assert.deepEqual(
        (plain.body.steps as { step: string }[]).map((step) => step.step),
        [`connect ${slapd.url}`, 'service bind', 'user base', 'group base', 'local and directory names'],
      );
      const user = await adminCall(server, 'POST', '/directory/test', { session, body: { username: 'alice', password: 'alice-directory-password' } });
      assert.equal(user.body.ok, true);
      assert.deepEqual(user.body.user.groups, ['Administrators', 'staff']);
      const refused = await adminCall(server, 'POST', '/directory/test', { session, body: { username: 'alice', password: 'wrong-password' } });
      assert.equal(refused.body.ok, false);
      assert.equal((refused.body.steps as { step: string; ok: boolean }[]).find((step) => step.step === 'user bind')?.ok, false);
      assert.equal((await adminCall(server, 'POST', '/directory/test', { session, body: { password: 'x' } })).status, 400, 'a password needs a username');
    });

    it('a directory administrator may use the admin API with a bearer token', async () => {
      const token = await passwordGrantToken(server, 'alice', 'alice-directory-password', ['admin']);
      const answer = await adminCall(server, 'GET', '/directory', { bearer: token });
      assert.equal(answer.status, 200);
      const bob = await passwordGrantToken(server, 'bob', 'bob-directory-password', ['admin']);
      assert.equal((await adminCall(server, 'GET', '/directory', { bearer: bob })).status, 403);
    });
    it('a password tried by the test action is throttled like a sign-in', async () => {
      const session = await signIn(server);
      for (let i = 0; i < 2; i++) {
        assert.equal((await adminCall(server, 'POST', '/directory/test', { session, body: { username: 'bob', password: `guess-${i}` } })).status, 200);
      }
      const blocked = await adminCall(server, 'POST', '/directory/test', { session, body: { username: 'bob', password: 'guess-3' } });
      assert.equal(blocked.status, 429);
    });

  });
}
