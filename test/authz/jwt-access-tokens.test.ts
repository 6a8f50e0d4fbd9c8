import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { ManualClock } from '../../src/core/clock.ts';
import { saveService } from '../../src/manage/services.ts';
import { updateSettings } from '../../src/manage/settings.ts';
import { rotateSigningKey } from '../../src/manage/signing-keys.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { holdThreadPool } from '../helpers/thread-pool.ts';
import { bearer, startUpstream, type Upstream } from '../helpers/upstream.ts';

const OTHER_API = 'https://api.example.test/orders';

// RFC 9068 (JWT access tokens), RFC 8707 (resource indicators), docs/tokens.md.
describe('JWT access tokens', () => {
  let server: TestServer;
  let upstream: Upstream;
  let clock: ManualClock;
  let jwtClient: { id: string; secret: string | undefined };
  let introspector: { id: string; secret: string | undefined };

  async function token(params: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', ...params }, { basic: [jwtClient.id, jwtClient.secret!] });
    if (typeof response.body.access_token === 'string') server.secrets.add(response.body.access_token);
    return response;
  }

  async function accessToken(params: Record<string, string> = {}): Promise<string> {
    const response = await token(params);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.access_token as string;
  }

  async function active(value: string): Promise<boolean> {
    const response = await postForm(`${server.url}/oauth/introspect`, { token: value }, { basic: [introspector.id, introspector.secret!] });
    assert.equal(response.status, 200);
    return response.body.active as boolean;
  }

  const gateway = (value: string, service = 'jwt/plain') => fetch(`${server.url}/invoke/${service}`, { headers: bearer(value) });

  /** jose's own verification, as a resource server in any stack would do it: the remote JWKS, `typ`, `iss`, `aud`. */
  const verifyWithJose = (value: string, options: { audience?: string; at?: number } = {}) =>
    jwtVerify(value, createRemoteJWKSet(new URL(`${server.url}/oauth/jwks`)), {
      issuer: server.url,
      audience: options.audience ?? server.url,
      typ: 'at+jwt',
      currentDate: new Date((options.at ?? clock.nowSeconds()) * 1000),
    });

  before(async () => {
    clock = new ManualClock(Math.floor(Date.now() / 1000));
    server = await startTestServer({ clock });
    upstream = await startUpstream();
    await server.scope('orders', ['jwt']);
    jwtClient = await server.client({ name: 'jwt-app', grants: ['client_credentials'], scopes: ['orders'], tokenFormat: 'jwt' });
    introspector = await server.client({ name: 'rs', grants: ['client_credentials'], introspect: true });
    await saveService(server.app.store, clock, { name: 'jwt:plain', upstream: `${upstream.url}/plain` });
    await saveService(server.app.store, clock, { name: 'jwt:strict', upstream: `${upstream.url}/strict`, introspectAlways: true });
    await updateSettings(server.app.store, { audiences: [OTHER_API] }, clock);
  });
  after(async () => {
    await upstream.close();
    await server.close();
  });

  test('a jwt client gets an RFC 9068 token that jose verifies against the JWKS; it lives 5 minutes', async () => {
    const response = await token();
    assert.equal(response.status, 200);
    assert.equal(response.body.expires_in, 300);
    const value = response.body.access_token as string;
    const header = decodeProtectedHeader(value);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'ES256');
    assert.equal(typeof header.kid, 'string');

    const { payload } = await verifyWithJose(value);
    assert.equal(payload.iss, server.url);
    assert.equal(payload.sub, jwtClient.id, 'RFC 9068 §2.2: a client credentials token is about the client');
    assert.equal(payload.client_id, jwtClient.id);
    assert.equal(payload.scope, 'orders');
    assert.equal(payload.exp! - payload.iat!, 300);
    assert.equal(typeof payload.jti, 'string');
    assert.notEqual(decodeJwt(await accessToken()).jti, payload.jti);

    // The token is recorded, so introspection answers for it exactly as for an opaque one.
    assert.equal(await active(value), true);
    const passed = await gateway(value);
    assert.equal(passed.status, 200);
    assert.equal(upstream.seen.at(-1)!.headers['x-portcullis-client'], jwtClient.id);
  });

  test('resource (RFC 8707) sets aud when it is an allowed audience, and is refused otherwise', async () => {
    const value = await accessToken({ resource: OTHER_API });
    assert.equal((await verifyWithJose(value, { audience: OTHER_API })).payload.aud, OTHER_API);
    const refused = await token({ resource: 'https://evil.example/' });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error, 'invalid_target');
  });

  test('a tampered token, a wrong audience and an expired token are refused by jose and the gateway', async () => {
    const value = await accessToken();
    const [header, payload, signature] = value.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, scope: 'orders admin' })).toString('base64url')}.${signature}`;
    await assert.rejects(verifyWithJose(tampered), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    assert.equal((await gateway(tampered)).status, 401);

    // A token for another resource server is not for the gateway.
    const elsewhere = await accessToken({ resource: OTHER_API });
    await assert.rejects(verifyWithJose(elsewhere), { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' });
    const wrongAud = await gateway(elsewhere);
    assert.equal(wrongAud.status, 401);
    assert.match(wrongAud.headers.get('www-authenticate') ?? '', /error="invalid_token"/);

    // Past exp and the gateway's 30 s of clock skew.
    clock.advance(300 + 31);
    try {
      await assert.rejects(verifyWithJose(value), { code: 'ERR_JWT_EXPIRED' });
      assert.equal((await gateway(value)).status, 401);
    } finally {
      clock.advance(-(300 + 31));
    }
  });

  test('a revoked JWT is inactive at introspection, refused where a service introspects always, accepted offline elsewhere', async () => {
    const value = await accessToken();
    assert.equal((await gateway(value, 'jwt/strict')).status, 200);
    const revoked = await postForm(`${server.url}/oauth/revoke`, { token: value }, { basic: [jwtClient.id, jwtClient.secret!] });
    assert.equal(revoked.status, 200);
    assert.equal(await active(value), false);
    const strict = await gateway(value, 'jwt/strict');
    assert.equal(strict.status, 401);
    assert.match(strict.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
    // docs/tokens.md "Revocation": offline, a revoked JWT is accepted until it expires (at most its lifetime).
    assert.equal((await gateway(value, 'jwt/plain')).status, 200);
  });

  test('a token signed by a key that was retired and then removed from the JWKS is refused', async () => {
    const value = await accessToken();
    const { kid } = decodeProtectedHeader(value);
    const issuedAt = decodeJwt(value).iat!;
    await updateSettings(server.app.store, { signingKeyPublishDelay: 60 }, clock);
    const next = await rotateSigningKey(server.app.store, server.app.ctx.secretBox, clock);

    // Published at once, but the current key keeps signing until the publish delay has passed.
    const keys = async () => ((await (await fetch(`${server.url}/oauth/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid);
    assert.ok((await keys()).includes(next.kid));
    assert.equal(decodeProtectedHeader(await accessToken()).kid, kid);
    clock.advance(61);
    const signedByNext = await accessToken();
    assert.equal(decodeProtectedHeader(signedByNext).kid, next.kid);
    assert.equal((await gateway(signedByNext)).status, 200);
    // Retired, not yet removed: its tokens still verify (at a moment they were valid).
    assert.ok((await keys()).includes(kid!));
    await verifyWithJose(value, { at: issuedAt });

    // Once its successor has signed longer than anything it signed can live, the key is gone.
    clock.advance(600);
    assert.ok(!(await keys()).includes(kid!));
    await assert.rejects(verifyWithJose(value, { at: issuedAt }), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  });

  /** A token issued while password hashes occupy every thread of the pool (jose's WebCrypto needs the pool: verify after). */
  async function accessTokenWhilePasswordsHash(): Promise<string> {
    const pool = holdThreadPool();
    try {
      return await accessToken();
    } finally {
      await pool.release();
    }
  }

  // docs/tokens.md "What each costs": the signature runs on libuv's thread pool unless password hashes are on it.
  test('while password hashes hold the thread pool, a JWT is issued before they finish (signed on the event loop), and verifies', async () => {
    const value = await accessTokenWhilePasswordsHash();
    assert.equal(decodeProtectedHeader(value).typ, 'at+jwt');
    await verifyWithJose(value);
    assert.equal(await active(value), true);
    assert.equal((await gateway(value)).status, 200);
  });

  test('after a rotation to RS256, then EdDSA, the new key signs, on the pool and beside password hashes; jose verifies both', async () => {
    await updateSettings(server.app.store, { signingKeyPublishDelay: 60 }, clock);
    for (const alg of ['RS256', 'EdDSA'] as const) {
      const next = await rotateSigningKey(server.app.store, server.app.ctx.secretBox, clock, { alg });
      clock.advance(61);
      const tokens = [await accessToken(), await accessTokenWhilePasswordsHash()];
      for (const value of tokens) {
        assert.deepEqual(decodeProtectedHeader(value), { alg, kid: next.kid, typ: 'at+jwt' });
        assert.equal((await verifyWithJose(value)).payload.client_id, jwtClient.id);
      }
    }
  });
});
