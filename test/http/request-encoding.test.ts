import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_PASSWORD, signIn } from '../helpers/admin.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

/** Issue 18, finding 15: Basic credentials and body charsets are read strictly (hardening; docs/security.md "HTTP hygiene"). */
describe('request encodings', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  const basic = (id: string, secret: string) => Buffer.from(`${id}:${secret}`).toString('base64');

  before(async () => {
    server = await startTestServer();
    await server.scope('orders');
    client = await server.client({ grants: ['client_credentials'], scopes: ['orders'] });
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  it('Basic credentials with bytes after the base64 padding are refused (401 invalid_client)', async () => {
    const good = basic(client.id, client.secret!);
    assert.match(good, /=$/, 'the test needs padded credentials');
    const ok = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { headers: { authorization: `Basic ${good}` } });
    assert.equal(ok.status, 200);
    for (const trailing of ['QUJD', '=', 'x', '=QUJD']) {
      const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { headers: { authorization: `Basic ${good}${trailing}` } });
      assert.equal(response.status, 401, trailing);
      assert.equal(response.body.error, 'invalid_client');
      assert.equal(response.headers.get('www-authenticate'), 'Basic realm="portcullis"');
    }
  });

  it('a form in another charset is refused with 400 invalid_request, not read as UTF-8', async () => {
    for (const charset of ['iso-8859-1', 'windows-1252', '"latin1"']) {
      const response = await postForm(
        `${server.url}/oauth/token`,
        { grant_type: 'client_credentials' },
        { basic: [client.id, client.secret!], headers: { 'content-type': `application/x-www-form-urlencoded; charset=${charset}` } },
      );
      assert.equal(response.status, 400, charset);
      assert.deepEqual(response.body, { error: 'invalid_request', error_description: 'the body must be UTF-8: send charset=utf-8 or no charset' });
    }
    const utf8 = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'client_credentials' },
      { basic: [client.id, client.secret!], headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' } },
    );
    assert.equal(utf8.status, 200);
  });

  it('admin API JSON in another charset is refused with 415 invalid_request', async () => {
    const session = await signIn(server);
    const refused = await fetch(`${server.url}/admin/api/groups`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=iso-8859-1', cookie: session.cookie, 'x-csrf-token': session.csrf },
      body: JSON.stringify({ name: 'caf\u00e9' }),
    });
    assert.equal(refused.status, 415);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_request');
    const signInLatin1 = await fetch(`${server.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=latin1' },
      body: JSON.stringify({ username: 'Administrator', password: ADMIN_PASSWORD }),
    });
    assert.equal(signInLatin1.status, 415);
  });
});
