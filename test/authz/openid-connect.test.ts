import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { ManualClock } from '../../src/core/clock.ts';
import { setUserProfile } from '../../src/manage/users.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { hiddenFields, TestBrowser } from '../helpers/sign-in.ts';

const REDIRECT = 'https://app.example/callback';

// OpenID Connect Core §2 (ID token), §3.1 (code flow), §5.3 (userinfo), §12.2 (refresh); Discovery §3.
// openid-client, a certified relying party library, is the application.
describe('OpenID Connect, with openid-client as the relying party', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  let config: oidc.Configuration;

  before(async () => {
    // openid-client checks iat and exp against the real time.
    server = await startTestServer({ clock: new ManualClock(Math.floor(Date.now() / 1000)) });
    await server.scope('orders');
    client = await server.client({
      name: 'rp',
      grants: ['authorization_code', 'password', 'refresh_token'],
      scopes: ['openid', 'orders'],
      redirectUris: [REDIRECT],
      consent: 'skip',
    });
    await server.user('alice', 'alice-password-1');
    await setUserProfile(server.app.store, server.clock, 'alice', { name: 'Alice Liddell', email: 'alice@example.org' });
    config = await oidc.discovery(new URL(server.url), client.id, client.secret, undefined, { execute: [oidc.allowInsecureRequests] });
    // Verify ID token signatures against the JWKS too (the spec lets a client skip it over TLS).
    oidc.enableNonRepudiationChecks(config);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  const atHash = (accessToken: string) => createHash('sha256').update(accessToken).digest().subarray(0, 16).toString('base64url');

  test('discovery: the OpenID fields, jwks_uri and userinfo_endpoint; openid is a built-in scope', () => {
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, server.url);
    assert.equal(metadata.jwks_uri, `${server.url}/oauth/jwks`);
    assert.equal(metadata.userinfo_endpoint, `${server.url}/oauth/userinfo`);
    assert.deepEqual(metadata.subject_types_supported, ['public']);
    assert.ok(metadata.id_token_signing_alg_values_supported?.includes('ES256'));
    assert.ok(metadata.scopes_supported?.includes('openid'));
  });

  test('code flow: openid-client validates the ID token (signature, iss, aud, nonce, at_hash) and reads userinfo', async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope: 'openid orders',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const browser = new TestBrowser(server.url);
    const page = await browser.get(url.pathname + url.search);
    const answer = await browser.post('/oauth/authorize', { ...hiddenFields(page.html), username: 'alice', password: 'alice-password-1' });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(answer.location!), { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
    server.secrets.add(tokens.access_token);
    server.secrets.add(tokens.refresh_token!);

    const claims = tokens.claims()!;
    assert.equal(claims.iss, server.url);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.aud, client.id);
    assert.equal(claims.nonce, nonce);
    assert.deepEqual(claims.amr, ['pwd']);
    assert.equal(typeof claims.auth_time, 'number');
    assert.equal(claims.at_hash, atHash(tokens.access_token));

    const info = await oidc.fetchUserInfo(config, tokens.access_token, 'alice');
    assert.deepEqual(info, { sub: 'alice', preferred_username: 'alice', groups: [], name: 'Alice Liddell', email: 'alice@example.org' });

    // A refresh brings an ID token about the same sign-in (OpenID Connect Core §12.2).
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    server.secrets.add(refreshed.access_token);
    server.secrets.add(refreshed.refresh_token!);
    const again = refreshed.claims()!;
    assert.equal(again.sub, 'alice');
    assert.equal(again.auth_time, claims.auth_time);
    assert.deepEqual(again.amr, ['pwd']);
    assert.equal(again.at_hash, atHash(refreshed.access_token));
  });

  test('password grant: an ID token with auth_time and amr pwd, verified by jose against the JWKS', async () => {
    const tokens = await oidc.genericGrantRequest(config, 'password', { username: 'alice', password: 'alice-password-1', scope: 'openid' });
    server.secrets.add(tokens.access_token);
    server.secrets.add(tokens.refresh_token!);
    const { payload, protectedHeader } = await jwtVerify(tokens.id_token!, createRemoteJWKSet(new URL(`${server.url}/oauth/jwks`)), {
      issuer: server.url,
      audience: client.id,
    });
    assert.equal(protectedHeader.typ, 'JWT');
    assert.equal(payload.sub, 'alice');
    assert.deepEqual(payload.amr, ['pwd']);
    assert.equal(payload.auth_time, server.clock.nowSeconds());
    assert.equal(payload.nonce, undefined);
    assert.equal(payload.at_hash, atHash(tokens.access_token));

    // Without openid, no ID token.
    const plain = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username: 'alice', password: 'alice-password-1', scope: 'orders' },
      { basic: [client.id, client.secret!], secrets: server.secrets },
    );
    assert.equal(plain.status, 200);
    assert.equal(plain.body.id_token, undefined);
    // userinfo needs openid: 403 insufficient_scope.
    const noOpenid = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${plain.body.access_token as string}` } });
    assert.equal(noOpenid.status, 403);
    assert.match(noOpenid.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  });

  test('userinfo by POST; a revoked, a made-up or no token gets 401', async () => {
    const tokens = await oidc.genericGrantRequest(config, 'password', { username: 'alice', password: 'alice-password-1', scope: 'openid' });
    server.secrets.add(tokens.access_token);
    server.secrets.add(tokens.refresh_token!);
    const post = await fetch(`${server.url}/oauth/userinfo`, { method: 'POST', headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(post.status, 200);
    assert.equal(((await post.json()) as { sub: string }).sub, 'alice');
    assert.equal(post.headers.get('cache-control'), 'no-store');

    await postForm(`${server.url}/oauth/revoke`, { token: tokens.access_token }, { basic: [client.id, client.secret!] });
    const revoked = await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(revoked.status, 401);
    assert.match(revoked.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    assert.equal((await fetch(`${server.url}/oauth/userinfo`, { headers: { authorization: 'Bearer made-up' } })).status, 401);
    const none = await fetch(`${server.url}/oauth/userinfo`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /Bearer realm=/);
    assert.equal(decodeJwt(tokens.id_token!).aud, client.id);
  });
});
