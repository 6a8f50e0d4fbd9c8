import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HTTPS_REQUIRED } from '../../src/authz/request-checks.ts';
import { ADMIN_PASSWORD } from '../helpers/admin.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * Issue 18, finding 15: Require-HTTPS (on by default) covers the admin console and API as it
 * covers /oauth/token (docs/security.md "TLS and Require-HTTPS"). A trusted proxy on loopback
 * stands in for a load balancer: it reports a remote client and whether the client used HTTPS.
 */
describe('Require-HTTPS at the admin console and API', () => {
  let server: TestServer;
  const remote = { 'x-forwarded-for': '203.0.113.5' };
  const signIn = (headers: Record<string, string>) =>
    fetch(`${server.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ username: 'Administrator', password: ADMIN_PASSWORD }),
    });

  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1' } });
  });
  after(() => server.close());

  it('refuses the administrator\'s password over plain HTTP from a remote address, as /oauth/token does', async () => {
    const before = server.hasher.verifies + server.hasher.dummyVerifies;
    const response = await signIn(remote);
    assert.equal(response.status, 400);
    assert.deepEqual(await response.json(), { error: 'invalid_request', error_description: HTTPS_REQUIRED });
    assert.equal(response.headers.get('set-cookie'), null);
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, before, 'the password is never checked');
    const token = await fetch(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...remote },
      body: 'grant_type=client_credentials',
    });
    assert.equal(token.status, 400, 'the same rule as the token endpoint');
  });

  it('refuses the console page and the rest of the API over plain HTTP from a remote address', async () => {
    for (const path of ['/admin/', '/admin/api/clients', '/admin/api/openapi.json']) {
      const response = await fetch(`${server.url}${path}`, { headers: remote });
      assert.equal(response.status, 400, path);
      assert.equal(((await response.json()) as { error_description: string }).error_description, HTTPS_REQUIRED);
    }
  });

  it('signs in over HTTPS, with a Secure session cookie', async () => {
    const response = await signIn({ ...remote, 'x-forwarded-proto': 'https' });
    assert.equal(response.status, 200);
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^portcullis_admin=/);
    assert.match(cookie, /; Secure/);
    assert.match(cookie, /; HttpOnly/);
    server.secrets.add(cookie.split(';')[0]!.split('=')[1]!);
  });

  it('loopback counts as secure, as at the OAuth endpoints', async () => {
    const response = await signIn({});
    assert.equal(response.status, 200);
    assert.doesNotMatch(response.headers.get('set-cookie') ?? '', /Secure/);
  });
});
