import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.ts';
import { adminCall, signIn } from '../helpers/admin.ts';
import { postForm, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

/** docs/security.md#users-behind-one-server: a trusted backend passes its end user's address. */
describe('end users behind one backend server', () => {
  let server: TestServer;
  let backend: { id: string; secret: string | undefined };
  let other: { id: string; secret: string | undefined };
  const IP_BUDGET = 20;

  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_THROTTLE_IP_FAILURES: String(IP_BUDGET) } });
    backend = await server.client({ grants: ['password'], trustedForEndUserAddress: true });
    other = await server.client({ grants: ['password'] });
    for (const name of ['alice', 'bob']) await server.user(name, TEST_PASSWORD);
  });
  after(() => server.close());

  // Every request comes from the backend's one address (loopback here).
  const login = (client: { id: string; secret: string | undefined }, form: Record<string, string>) =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'password', ...form }, { basic: [client.id, client.secret!] });

  test("one end user's typos block that end user only, never the backend's other users", async () => {
    for (let i = 0; i < IP_BUDGET; i++) {
      const typo = await login(backend, { username: i % 2 ? 'alice' : `nobody-${i}`, password: `typo-${i}`, end_user_ip: '203.0.113.10' });
      assert.equal(typo.status, 400);
    }
    assert.equal((await login(backend, { username: 'alice', password: TEST_PASSWORD, end_user_ip: '203.0.113.10' })).status, 429);
    // Another end user of the same backend, and alice from her other device, are not affected.
    assert.equal((await login(backend, { username: 'bob', password: TEST_PASSWORD, end_user_ip: '198.51.100.11' })).status, 200);
    assert.equal((await login(backend, { username: 'alice', password: TEST_PASSWORD, end_user_ip: '2001:db8:1::5' })).status, 200);

    await server.app.ctx.audit.flush();
    const failed = await server.app.store.listAudit({ limit: 100, type: 'login.failed' });
    assert.ok(failed.length > 0 && failed.every((record) => record.ip === '203.0.113.10'));
  });

  test('end_user_ip is refused from a client not trusted for it, and when it is not an IP address', async () => {
    const untrusted = await login(other, { username: 'bob', password: TEST_PASSWORD, end_user_ip: '198.51.100.12' });
    assert.equal(untrusted.status, 400);
    assert.equal(untrusted.body.error, 'invalid_request');
    assert.equal(untrusted.body.field, 'end_user_ip');
    for (const bad of ['unknown', 'not-an-ip<script>', '']) {
      const refused = await login(backend, { username: 'bob', password: TEST_PASSWORD, end_user_ip: bad });
      assert.equal(refused.status, 400, bad);
      assert.equal(refused.body.error, 'invalid_request');
    }
  });

  test('the flag is set by the CLI, the admin API and shown by both', async () => {
    const session = await signIn(server);
    const created = await adminCall(server, 'POST', '/clients', {
      session,
      body: { name: 'web-backend', type: 'confidential', grants: ['password'], trusted_for_end_user_address: true },
    });
    assert.equal(created.status, 201);
    assert.equal(created.body.client.trusted_for_end_user_address, true);
    const id = created.body.client.client_id as string;
    const patched = await adminCall(server, 'PATCH', `/clients/${id}`, { session, body: { trusted_for_end_user_address: false } });
    assert.equal(patched.body.trusted_for_end_user_address, false);
    const cli = await runCli(['client', 'update', id, '--trusted-for-end-user-address', '--json', '--db', server.dbPath]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.json().trusted_for_end_user_address, true);
  });
});
