import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashSecret } from '../../src/core/secrets.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { revokeTokens } from '../../src/manage/tokens.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let app: { id: string; secret: string };
let other: { id: string; secret: string };
let resourceServer: { id: string; secret: string };
let publicClient: { id: string };

before(async () => {
  server = await startTestServer();
  await saveScope(server.app.store, { name: 'orders', description: '', resources: [], public: true });
  const a = await server.client({ name: 'app', grants: ['password', 'refresh_token'], scopes: ['orders'] });
  const o = await server.client({ name: 'other', grants: ['client_credentials'] });
  const r = await server.client({ name: 'gateway', grants: ['client_credentials'], introspect: true });
  app = { id: a.id, secret: a.secret! };
  other = { id: o.id, secret: o.secret! };
  resourceServer = { id: r.id, secret: r.secret! };
  publicClient = await server.client({ name: 'spa', type: 'public', grants: ['password', 'refresh_token'], scopes: ['orders'] });
  await server.user('alice', 'alice-password-1');
});

after(async () => {
  assert.deepEqual(findLeaks(server.logs, server.secrets), []);
  await server.close();
});

async function login(as: { basic?: [string, string]; client_id?: string } = { basic: [app.id, app.secret] }) {
  const params: Record<string, string> = { grant_type: 'password', username: 'alice', password: 'alice-password-1' };
  if (as.client_id) params.client_id = as.client_id;
  const res = await postForm(`${server.url}/oauth/token`, params, { basic: as.basic, secrets: server.secrets });
  assert.equal(res.status, 200);
  return res.body as { access_token: string; refresh_token: string };
}

const introspect = (token: string, basic: [string, string] = [app.id, app.secret], path = '/oauth/introspect') =>
  postForm(`${server.url}${path}`, { token }, { basic });

const revoke = (token: string, basic: [string, string] = [app.id, app.secret], extra: Record<string, string> = {}) =>
  postForm(`${server.url}/oauth/revoke`, { token, ...extra }, { basic });

describe('introspection (RFC 7662)', () => {
  it('describes a live access token to the client it was issued to (§2.2)', async () => {
    const tokens = await login();
    const res = await introspect(tokens.access_token);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.equal(res.body.active, true);
    assert.equal(res.body.scope, 'orders');
    assert.equal(res.body.client_id, app.id);
    assert.equal(res.body.username, 'alice');
    assert.equal(res.body.sub, 'alice');
    assert.equal(res.body.token_type, 'Bearer');
    assert.equal(res.body.exp, (res.body.iat as number) + 3600);
    assert.equal(res.body.iss, server.app.ctx.issuer);
  });

  it('describes a refresh token too', async () => {
    const tokens = await login();
    const res = await introspect(tokens.refresh_token);
    assert.equal(res.body.active, true);
    assert.equal(res.body.client_id, app.id);
  });

  it('answers {"active":false} and nothing else for an unknown token', async () => {
    const res = await introspect('no-such-token');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { active: false });
  });

  it('answers {"active":false} to another client asking about a token that is not its own', async () => {
    const tokens = await login();
    assert.deepEqual((await introspect(tokens.access_token, [other.id, other.secret])).body, { active: false });
  });

  it('describes any token to a client registered as a resource server (--introspect)', async () => {
    const tokens = await login();
    const res = await introspect(tokens.access_token, [resourceServer.id, resourceServer.secret]);
    assert.equal(res.body.active, true);
    assert.equal(res.body.client_id, app.id);
  });

  it('requires client authentication → 401 invalid_client', async () => {
    const res = await postForm(`${server.url}/oauth/introspect`, { token: 'x' });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
    const wrong = await introspect('x', [app.id, 'wrong-secret']);
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers.get('www-authenticate')!, /^Basic/);
  });

  it('refuses public clients → 401 invalid_client', async () => {
    const res = await postForm(`${server.url}/oauth/introspect`, { token: 'x', client_id: publicClient.id });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_client');
  });

  it('requires the token parameter → 400 invalid_request', async () => {
    const res = await postForm(`${server.url}/oauth/introspect`, {}, { basic: [app.id, app.secret] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_request');
  });

  it('reports a disabled client\'s tokens inactive until it is enabled again', async () => {
    const tokens = await login();
    await server.app.store.updateClient(app.id, { enabled: false });
    try {
      const res = await introspect(tokens.access_token, [resourceServer.id, resourceServer.secret]);
      assert.deepEqual(res.body, { active: false });
    } finally {
      await server.app.store.updateClient(app.id, { enabled: true });
    }
    assert.equal((await introspect(tokens.access_token)).body.active, true);
  });

  it('answers at the Integration Server alias /invoke/pub.oauth/introspectToken', async () => {
    const tokens = await login();
    const res = await introspect(tokens.access_token, [app.id, app.secret], '/invoke/pub.oauth/introspectToken');
    assert.equal(res.body.active, true);
  });
});

describe('revocation (RFC 7009)', () => {
  it('revoking the access token revokes its refresh token (§2.1)', async () => {
    const tokens = await login();
    const res = await revoke(tokens.access_token);
    assert.equal(res.status, 200);
    assert.equal((await introspect(tokens.access_token)).body.active, false);
    assert.equal((await introspect(tokens.refresh_token)).body.active, false);
  });

  it('revoking the refresh token revokes its access token (§2.1)', async () => {
    const tokens = await login();
    await revoke(tokens.refresh_token, [app.id, app.secret], { token_type_hint: 'refresh_token' });
    assert.equal((await introspect(tokens.access_token)).body.active, false);
    const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, {
      basic: [app.id, app.secret],
    });
    assert.equal(refreshed.body.error, 'invalid_grant');
  });

  it('answers 200 for an unknown token (§2.2)', async () => {
    const res = await revoke('never-issued');
    assert.equal(res.status, 200);
  });

  it('accepts an unknown token_type_hint and still finds the token (§2.1)', async () => {
    const tokens = await login();
    const res = await revoke(tokens.access_token, [app.id, app.secret], { token_type_hint: 'something_else' });
    assert.equal(res.status, 200);
    assert.equal((await introspect(tokens.access_token)).body.active, false);
  });

  it('lets a public client revoke its own tokens with its client_id', async () => {
    const tokens = await login({ client_id: publicClient.id });
    const res = await postForm(`${server.url}/oauth/revoke`, { token: tokens.access_token, client_id: publicClient.id });
    assert.equal(res.status, 200);
    assert.equal((await introspect(tokens.access_token, [resourceServer.id, resourceServer.secret])).body.active, false);
  });

  it('leaves another client\'s token alive and answers it like an unknown one (RFC 7009 §2.2: no existence oracle)', async () => {
    const tokens = await login();
    const res = await revoke(tokens.access_token, [other.id, other.secret]);
    const unknown = await revoke('no-such-token-anywhere', [other.id, other.secret]);
    assert.equal(res.status, 200);
    assert.deepEqual([res.status, res.body], [unknown.status, unknown.body]);
    assert.equal((await introspect(tokens.access_token)).body.active, true);
  });

  it('tells a public client nothing about a token that exists but is not its own', async () => {
    const tokens = await login();
    const stored = await postForm(`${server.url}/oauth/revoke`, { token: tokens.access_token, client_id: publicClient.id });
    const unknown = await postForm(`${server.url}/oauth/revoke`, { token: 'no-such-token-anywhere', client_id: publicClient.id });
    assert.deepEqual([stored.status, stored.body], [200, unknown.body]);
    assert.equal(unknown.status, 200);
    assert.equal((await introspect(tokens.access_token)).body.active, true);
  });

  it('requires client authentication → 401 invalid_client', async () => {
    const tokens = await login();
    const res = await revoke(tokens.access_token, [app.id, 'wrong-secret']);
    assert.equal(res.status, 401);
    assert.equal((await introspect(tokens.access_token)).body.active, true);
  });

  it('revokes a client credentials token alone: it is a grant of its own, in no family (opaque and JWT)', async () => {
    for (const tokenFormat of ['opaque', 'jwt'] as const) {
      const service = await server.client({ name: `service-${tokenFormat}`, grants: ['client_credentials'], scopes: ['orders'], tokenFormat });
      const basic: [string, string] = [service.id, service.secret!];
      const issue = async () => {
        const res = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic, secrets: server.secrets });
        assert.equal(res.status, 200, res.text);
        return res.body.access_token as string;
      };
      const [first, second, third] = [await issue(), await issue(), await issue()];
      assert.equal((await server.app.store.findToken(hashSecret(first)))?.familyId, null, 'stored without a family');
      assert.equal((await revoke(first, basic)).status, 200);
      assert.equal((await introspect(first, basic)).body.active, false);
      assert.equal((await introspect(second, basic)).body.active, true, `${tokenFormat}: the client's other tokens live on`);
      assert.equal(await revokeTokens(server.app.store, server.clock, { clientId: service.id }), 2, 'an operator revokes every grant of the client');
      assert.equal((await introspect(second, basic)).body.active, false);
      assert.equal((await introspect(third, basic)).body.active, false);
    }
  });

  it('answers at the Integration Server alias /invoke/pub.oauth/revokeToken', async () => {
    const tokens = await login();
    const res = await postForm(`${server.url}/invoke/pub.oauth/revokeToken`, { token: tokens.access_token }, { basic: [app.id, app.secret] });
    assert.equal(res.status, 200);
    assert.equal((await introspect(tokens.access_token)).body.active, false);
  });
});

describe('metadata (RFC 8414)', () => {
  it('publishes the issuer, endpoints, grants, auth methods and scopes', async () => {
    const res = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.issuer, server.app.ctx.issuer);
    assert.equal(body.token_endpoint, `${server.app.ctx.issuer}/oauth/token`);
    assert.equal(body.introspection_endpoint, `${server.app.ctx.issuer}/oauth/introspect`);
    assert.equal(body.revocation_endpoint, `${server.app.ctx.issuer}/oauth/revoke`);
    assert.equal(body.authorization_endpoint, `${server.app.ctx.issuer}/oauth/authorize`);
    assert.deepEqual(body.grant_types_supported.sort(), [
      'authorization_code',
      'client_credentials',
      'http://auth0.com/oauth/grant-type/mfa-otp',
      'http://auth0.com/oauth/grant-type/mfa-recovery-code',
      'password',
      'refresh_token',
      'urn:portcullis:params:oauth:grant-type:mfa-otp',
      'urn:portcullis:params:oauth:grant-type:mfa-recovery-code',
    ]);
    assert.ok(body.token_endpoint_auth_methods_supported.includes('client_secret_basic'));
    assert.ok(body.token_endpoint_auth_methods_supported.includes('client_secret_post'));
    // openid is built in (docs/oauth.md "OpenID Connect").
    assert.deepEqual(body.scopes_supported, ['openid', 'orders']);
    assert.equal(body.jwks_uri, `${server.app.ctx.issuer}/oauth/jwks`);
  });

  it('lists only scopes marked public: never a private one (RFC 8414 §2, issue 18)', async () => {
    await saveScope(server.app.store, { name: 'internal-billing', description: '', resources: [] });
    const body = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { scopes_supported: string[] };
    // openid is built in and public; admin and internal-billing are not listed.
    assert.deepEqual(body.scopes_supported, ['openid', 'orders']);
  });
});
