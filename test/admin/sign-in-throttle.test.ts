import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, adminCall, signIn } from '../helpers/admin.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

async function attemptSignIn(server: TestServer, username: string, password: string) {
  const response = await fetch(`${server.url}/admin/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}

describe('admin sign-in is throttled like the token endpoint', () => {
  let server: TestServer;
  before(async () => {
    // A small (username, address) budget; the address budget stays large.
    server = await startTestServer({ env: { PORTCULLIS_THROTTLE_USER_IP_FAILURES: '3' } });
    server.secrets.add('wrong-password');
    await server.user('admin2', 'admin2-password', ['Administrators']);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  test('wrong passwords are refused, then throttled with 429 + Retry-After before any hash runs', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const wrong = await attemptSignIn(server, 'Administrator', 'wrong-password');
      assert.equal(wrong.status, 401);
      assert.equal(wrong.body.error, 'invalid_credentials');
    }
    const verifies = server.hasher.verifies + server.hasher.dummyVerifies;
    // Even the right password is refused now: the attempt never reaches the hash.
    const throttled = await attemptSignIn(server, 'Administrator', ADMIN_PASSWORD);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.body.error, 'too_many_attempts');
    assert.ok(Number(throttled.headers.get('retry-after')) >= 1, 'Retry-After in seconds');
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, verifies, 'no password hash ran');
  });

  test('the counters are the token endpoint\'s: the password grant is throttled for that username too', async () => {
    const client = await server.client({ grants: ['password'] });
    const response = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username: 'Administrator', password: ADMIN_PASSWORD },
      { basic: [client.id, client.secret!] },
    );
    assert.equal(response.status, 429);
  });

  test('another administrator from the same address is not blocked', async () => {
    const session = await signIn(server, 'admin2', 'admin2-password');
    assert.equal((await adminCall(server, 'GET', '/session', { session })).status, 200);
  });

  test('failures and the throttled attempt are audited, marked as admin sign-ins, with no password', async () => {
    await server.app.ctx.audit.flush();
    const records = await server.app.store.listAudit({ limit: 50 });
    const admin = records.filter((record) => record.detail?.via === 'admin');
    assert.ok(admin.some((record) => record.type === 'login.failed' && record.reason === 'wrong_password' && record.username === 'Administrator'));
    assert.ok(admin.some((record) => record.type === 'login.throttled' && record.reason === 'user_ip'));
    assert.ok(!JSON.stringify(records).includes('wrong-password'));
    assert.ok(!JSON.stringify(records).includes(ADMIN_PASSWORD));
  });
});
