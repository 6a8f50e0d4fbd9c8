import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

// Normative assertions follow RFC 6749 and docs/oauth.md; hardening ones are marked as such.

let server: TestServer;
let tokenUrl: string;
let confidential: { id: string; secret: string };
let publicClient: { id: string };

before(async () => {
  server = await startTestServer();
  tokenUrl = `${server.url}/oauth/token`;
  await server.scope('orders', ['orders']);
  await server.scope('billing', ['billing']);
  await server.scope('admin-only', ['admin']);
  const c = await server.client({ name: 'web', grants: ['password', 'refresh_token', 'client_credentials'], scopes: ['orders', 'billing'] });
  confidential = { id: c.id, secret: c.secret! };
  publicClient = await server.client({ name: 'mobile', type: 'public', grants: ['password', 'refresh_token'], scopes: ['orders'] });
  await server.user('alice', 'correct horse battery staple');
});

after(async () => {
  assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential may appear in the log');
  await server.close();
});

function password(extra: Record<string, string> = {}) {
  return { grant_type: 'password', username: 'alice', password: 'correct horse battery staple', ...extra };
}

function assertNoStore(headers: Headers) {
  assert.equal(headers.get('cache-control'), 'no-store');
  assert.equal(headers.get('pragma'), 'no-cache');
}

describe('password grant succeeds (RFC 6749 §4.3, docs/oauth.md, step 9)', () => {
  it('for a confidential client with HTTP Basic (client_secret_basic)', async () => {
    const res = await postForm(tokenUrl, password(), { basic: [confidential.id, confidential.secret], secrets: server.secrets });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json; charset=utf-8/);
    assertNoStore(res.headers);
    assert.equal(res.body.token_type, 'Bearer');
    assert.match(res.body.access_token as string, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');
    assert.match(res.body.refresh_token as string, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(res.body.expires_in, 3600, 'the global default lifetime');
    assert.equal(res.body.scope, 'billing orders', 'no scope requested: all of the client\'s scopes');
  });

  it('for a confidential client with the secret in the body (client_secret_post)', async () => {
    const res = await postForm(
      tokenUrl,
      password({ client_id: confidential.id, client_secret: confidential.secret, scope: 'orders' }),
      { secrets: server.secrets },
    );
    assert.equal(res.status, 200);
    assert.equal(res.body.scope, 'orders');
  });

  it('for a public client identified by client_id only', async () => {
    const res = await postForm(tokenUrl, password({ client_id: publicClient.id }), { secrets: server.secrets });
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.access_token, 'string');
    assert.equal(res.body.scope, 'orders');
  });

  it('issues each time a distinct token', async () => {
    const a = await postForm(tokenUrl, password({ client_id: publicClient.id }), { secrets: server.secrets });
    const b = await postForm(tokenUrl, password({ client_id: publicClient.id }), { secrets: server.secrets });
    assert.notEqual(a.body.access_token, b.body.access_token);
  });

  it('answers at the Integration Server alias /invoke/pub.oauth/getToken', async () => {
    const res = await postForm(`${server.url}/invoke/pub.oauth/getToken`, password({ client_id: publicClient.id }), {
      secrets: server.secrets,
    });
    assert.equal(res.status, 200);
    assertNoStore(res.headers);
  });
});

describe('token endpoint errors, in docs/oauth.md order', () => {
  const basic = () => ({ basic: [confidential.id, confidential.secret] as [string, string] });

  it('1. a body that is not a form → 400 invalid_request', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(password()),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_request');
    assertNoStore(res.headers);
  });

  it('1. GET instead of POST → 400 invalid_request', async () => {
    const res = await fetch(`${tokenUrl}?grant_type=password`);
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_request');
  });

  it('1. a repeated parameter → 400 invalid_request (RFC 6749 §3.2)', async () => {
    const res = await fetch(tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&username=alice&username=bob&password=x',
    });
    assert.equal(res.status, 400);
    const body = await res.json();
    assert.equal(body.error, 'invalid_request');
    assert.match(body.error_description, /username/);
  });

  it('1. no grant_type → 400 invalid_request', async () => {
    const res = await postForm(tokenUrl, { username: 'alice', password: 'x' }, basic());
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_request');
  });

  it('3. an unknown grant_type → 400 unsupported_grant_type, before client authentication', async () => {
    const res = await postForm(tokenUrl, { grant_type: 'urn:example:magic' }, { basic: ['nobody', 'nothing'] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'unsupported_grant_type');
    assert.equal(res.text.includes('urn:example:magic'), false, 'the value sent is not echoed (hardening)');
  });

  it('1. the password grant without a password → 400 invalid_request', async () => {
    const res = await postForm(tokenUrl, { grant_type: 'password', username: 'alice' }, basic());
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_request');
  });

  it('4. Basic and body credentials together → 400 invalid_request', async () => {
    const res = await postForm(tokenUrl, password({ client_secret: confidential.secret }), basic());
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_request');
  });

  it('4. a wrong secret over Basic → 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const hasher = server.hasher.verifies + server.hasher.dummyVerifies;
    const res = await postForm(tokenUrl, password(), { basic: [confidential.id, 'wrong-secret'] });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.match(res.headers.get('www-authenticate')!, /^Basic/);
    assertNoStore(res.headers);
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hasher, 'no password was verified');
  });

  it('4. a wrong secret in the body → 401 invalid_client without WWW-Authenticate', async () => {
    const res = await postForm(tokenUrl, password({ client_id: confidential.id, client_secret: 'wrong-secret' }));
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    assert.equal(res.headers.get('www-authenticate'), null);
  });

  it('4. an unknown client → 401 invalid_client', async () => {
    const res = await postForm(tokenUrl, password(), { basic: ['no-such-client', 'whatever'] });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
  });

  it('4. a confidential client without its secret → 401 invalid_client', async () => {
    const res = await postForm(tokenUrl, password({ client_id: confidential.id }));
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
  });

  it('4. no client at all → 401 invalid_client', async () => {
    const res = await postForm(tokenUrl, password());
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
  });

  it('4. a disabled client → 401 invalid_client', async () => {
    const c = await server.client({ name: 'soon-disabled', grants: ['password'] });
    await server.app.store.updateClient(c.id, { enabled: false });
    const res = await postForm(tokenUrl, password(), { basic: [c.id, c.secret!] });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
  });

  it('5. a client not allowed the grant → 400 unauthorized_client, and no password is verified', async () => {
    const c = await server.client({ name: 'cc-only', grants: ['client_credentials'] });
    const before = server.hasher.verifies + server.hasher.dummyVerifies;
    const res = await postForm(tokenUrl, password({ password: 'wrong' }), { basic: [c.id, c.secret!] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'unauthorized_client');
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, before, 'never a password oracle');
  });

  it('6. a scope not associated with the client → 400 invalid_scope, and no password is verified', async () => {
    const before = server.hasher.verifies + server.hasher.dummyVerifies;
    const res = await postForm(tokenUrl, password({ scope: 'orders admin-only' }), basic());
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_scope');
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, before);
  });

  it('6. a malformed scope → 400 invalid_scope', async () => {
    const res = await postForm(tokenUrl, password({ scope: 'orders "quoted"' }), basic());
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_scope');
  });

  it('8. wrong password, unknown user and disabled user are indistinguishable', async () => {
    await server.user('dora', 'dora-password-123');
    await server.app.store.updateUser('dora', { enabled: false });
    const wrong = await postForm(tokenUrl, password({ password: 'not-it' }), basic());
    const unknown = await postForm(tokenUrl, password({ username: 'nobody-here' }), basic());
    const disabled = await postForm(tokenUrl, password({ username: 'dora', password: 'dora-password-123' }), basic());
    for (const res of [wrong, unknown, disabled]) {
      assert.equal(res.status, 400);
      assert.equal(res.text, wrong.text, 'same body, byte for byte');
      assert.equal(res.body.error, 'invalid_grant');
      assertNoStore(res.headers);
    }
  });

  it('8. an unknown user still costs one argon2 verification (hardening)', async () => {
    const before = { real: server.hasher.verifies, dummy: server.hasher.dummyVerifies };
    await postForm(tokenUrl, password({ username: 'ghost' }), basic());
    assert.equal(server.hasher.dummyVerifies - before.dummy, 1);
    assert.equal(server.hasher.verifies - before.real, 0);
    await postForm(tokenUrl, password({ password: '' }), basic());
    assert.equal(server.hasher.verifies - before.real, 1, 'an empty password is verified like any other');
  });
});

describe('token lifetimes and refresh tokens per client settings (README "Concepts")', () => {
  it('omits expires_in for a client whose tokens never expire', async () => {
    const c = await server.client({ name: 'forever', grants: ['password'], accessTokenTtl: 'never' });
    const res = await postForm(tokenUrl, password(), { basic: [c.id, c.secret!], secrets: server.secrets });
    assert.equal(res.status, 200);
    assert.equal('expires_in' in res.body, false);
  });

  it('uses the client\'s own lifetime over the global one', async () => {
    const c = await server.client({ name: 'short', grants: ['password'], accessTokenTtl: 60 });
    const res = await postForm(tokenUrl, password(), { basic: [c.id, c.secret!], secrets: server.secrets });
    assert.equal(res.body.expires_in, 60);
  });

  it('follows a change of the global lifetime', async () => {
    await server.app.store.updateSettings({ accessTokenTtl: 120 });
    try {
      const res = await postForm(tokenUrl, password({ client_id: publicClient.id }), { secrets: server.secrets });
      assert.equal(res.body.expires_in, 120);
    } finally {
      await server.app.store.updateSettings({ accessTokenTtl: 3600 });
    }
  });

  it('issues no refresh token when the refresh limit is 0', async () => {
    const c = await server.client({ name: 'no-refresh', grants: ['password', 'refresh_token'], refreshLimit: 0 });
    const res = await postForm(tokenUrl, password(), { basic: [c.id, c.secret!], secrets: server.secrets });
    assert.equal(res.status, 200);
    assert.equal('refresh_token' in res.body, false);
  });

  it('issues no refresh token when the client may not use the refresh_token grant', async () => {
    const c = await server.client({ name: 'password-only', grants: ['password'] });
    const res = await postForm(tokenUrl, password(), { basic: [c.id, c.secret!], secrets: server.secrets });
    assert.equal('refresh_token' in res.body, false);
  });
});

describe('client credentials grant (RFC 6749 §4.4)', () => {
  it('issues an access token without a refresh token to a confidential client', async () => {
    const res = await postForm(tokenUrl, { grant_type: 'client_credentials', scope: 'billing' }, {
      basic: [confidential.id, confidential.secret],
      secrets: server.secrets,
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.scope, 'billing');
    assert.equal('refresh_token' in res.body, false);
    assertNoStore(res.headers);
  });

  it('is refused to a public client → 400 unauthorized_client', async () => {
    const res = await postForm(tokenUrl, { grant_type: 'client_credentials', client_id: publicClient.id });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'unauthorized_client');
  });
});

describe('Require-HTTPS (docs/oauth.md, step 2)', () => {
  it('refuses plain HTTP from a non-loopback client, as reported by a trusted proxy', async () => {
    const proxied = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1' } });
    try {
      const c = await proxied.client({ name: 'p', type: 'public', grants: ['password'] });
      const headers = { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'http' };
      const res = await postForm(`${proxied.url}/oauth/token`, password({ client_id: c.id }), { headers });
      assert.equal(res.status, 400);
      assert.equal(res.body.error, 'invalid_request');
      // It says how to fix it, not only what is wrong.
      assert.match(res.body.error_description as string, /^HTTPS is required: call over https:\/\/ \(serve with tls_cert and tls_key, or behind a TLS proxy listed in trusted_proxies\)/);

      const secure = await postForm(`${proxied.url}/oauth/token`, password({ client_id: c.id }), {
        headers: { ...headers, 'x-forwarded-proto': 'https' },
      });
      assert.equal(secure.status, 400, 'HTTPS passes the check and fails later, on the unknown user');
      assert.equal(secure.body.error, 'invalid_grant');

      await proxied.app.store.updateSettings({ requireHttps: false });
      const allowed = await postForm(`${proxied.url}/oauth/token`, password({ client_id: c.id }), { headers });
      assert.equal(allowed.body.error, 'invalid_grant', 'switched off explicitly, plain HTTP is accepted');
    } finally {
      await proxied.close();
    }
  });
});
