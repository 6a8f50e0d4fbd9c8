import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
// An independent TOTP implementation (RFC 6238): not the library the server uses.
import { generateSync } from 'otplib';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { updateSettings } from '../../src/manage/settings.ts';
import { updateClient } from '../../src/manage/clients.ts';
import { createGroup } from '../../src/manage/groups.ts';
import { setPassword } from '../../src/manage/users.ts';
import { adminCall, signIn } from '../helpers/admin.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

// docs/mfa.md: the password grant's second factor, in Auth0's shape. Normative for Auth0's clients:
// the mfa_required body, the grant types and the associate request and answer.

const MFA_OTP = 'urn:portcullis:params:oauth:grant-type:mfa-otp';
const MFA_RECOVERY = 'urn:portcullis:params:oauth:grant-type:mfa-recovery-code';
const AUTH0_MFA_OTP = 'http://auth0.com/oauth/grant-type/mfa-otp';

let server: TestServer;
let tokenUrl: string;
let app: { id: string; secret: string };
let plain: { id: string; secret: string };

before(async () => {
  server = await startTestServer();
  tokenUrl = `${server.url}/oauth/token`;
  await createGroup(server.app.store, 'staff', server.clock);
  await server.scope('orders', ['orders']);
  const c = await server.client({ name: 'mfa-app', grants: ['password', 'refresh_token', MFA_OTP, MFA_RECOVERY], scopes: ['orders'] });
  app = { id: c.id, secret: c.secret! };
  const p = await server.client({ name: 'no-mfa-grants', grants: ['password'], scopes: ['orders'] });
  plain = { id: p.id, secret: p.secret! };
  await updateSettings(server.app.store, { mfaPolicy: 'required', mfaRequiredGroups: ['staff'] }, server.clock);
});

after(async () => {
  assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential may appear in the log');
  await server.close();
});

function otpAt(secret: string): string {
  return generateSync({ secret, epoch: server.clock.nowSeconds() });
}

async function passwordLogin(username: string, password: string, extra: Record<string, string> = {}, client = app) {
  const res = await postForm(tokenUrl, { grant_type: 'password', username, password, ...extra }, { basic: [client.id, client.secret], secrets: server.secrets });
  // The mfa_token is a credential too: it must never reach a log line.
  if (typeof res.body.mfa_token === 'string') server.secrets.add(res.body.mfa_token);
  return res;
}

async function associate(mfaToken: string) {
  const response = await fetch(`${server.url}/oauth/mfa/associate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${mfaToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ authenticator_types: ['otp'] }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.secret === 'string') server.secrets.add(body.secret);
  for (const code of (body.recovery_codes as string[] | undefined) ?? []) server.secrets.add(code);
  return { status: response.status, headers: response.headers, body };
}

/** Signs up a user of `staff` and enrols them through the associate endpoint; returns the secret and recovery codes. */
async function enrolled(username: string): Promise<{ secret: string; recoveryCodes: string[] }> {
  await server.user(username, `${username} password 1`, ['staff']);
  const first = await passwordLogin(username, `${username} password 1`);
  assert.equal(first.status, 403);
  const enrolment = await associate(first.body.mfa_token as string);
  assert.equal(enrolment.status, 200);
  const secret = enrolment.body.secret as string;
  const done = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: otpAt(secret) }, { basic: [app.id, app.secret], secrets: server.secrets });
  assert.equal(done.status, 200, done.text);
  server.clock.advance(30);
  return { secret, recoveryCodes: enrolment.body.recovery_codes as string[] };
}

describe('a user in a required group (docs/mfa.md "Password grant")', () => {
  it('gets mfa_required, enrols through /oauth/mfa/associate and gets tokens with an OTP from the returned secret', async () => {
    await server.user('carol', 'carol password 1', ['staff']);
    const first = await passwordLogin('carol', 'carol password 1');
    assert.equal(first.status, 403);
    assert.equal(first.body.error, 'mfa_required');
    assert.equal(typeof first.body.error_description, 'string');
    assert.match(first.body.mfa_token as string, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(first.headers.get('cache-control'), 'no-store');
    assert.equal(first.body.access_token, undefined);

    const enrolment = await associate(first.body.mfa_token as string);
    assert.equal(enrolment.status, 200);
    assert.equal(enrolment.headers.get('cache-control'), 'no-store');
    assert.equal(enrolment.body.authenticator_type, 'otp');
    const secret = enrolment.body.secret as string;
    assert.match(secret, /^[A-Z2-7]{32}$/, '160 bits in base32');
    const uri = new URL(enrolment.body.barcode_uri as string);
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(uri.searchParams.get('secret'), secret);
    assert.match(decodeURIComponent(uri.pathname), /carol$/);
    const codes = enrolment.body.recovery_codes as string[];
    assert.equal(codes.length, 10);
    assert.equal(new Set(codes).size, 10);

    const tokens = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: otpAt(secret) }, { basic: [app.id, app.secret], secrets: server.secrets });
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(tokens.body.token_type, 'Bearer');
    assert.equal(tokens.body.scope, 'orders', 'the scope of the password request');
    assert.equal(typeof tokens.body.refresh_token, 'string');

    // Enrolled now: a second associate with a new mfa_token is refused.
    server.clock.advance(30);
    const again = await passwordLogin('carol', 'carol password 1');
    assert.equal(again.status, 403);
    const refused = await associate(again.body.mfa_token as string);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'access_denied');
    assert.equal(refused.body.recovery_codes, undefined);
  });

  it('a wrong password never yields an mfa_token, and tells nothing of MFA', async () => {
    await enrolled('dave');
    const wrong = await passwordLogin('dave', 'not the password');
    assert.equal(wrong.status, 400);
    assert.deepEqual(Object.keys(wrong.body).sort(), ['error', 'error_description']);
    assert.equal(wrong.body.error, 'invalid_grant');
    const unknown = await passwordLogin('nobody-at-all', 'not the password');
    assert.deepEqual(unknown.body, wrong.body);
  });

  it('refuses a wrong OTP, a replayed OTP, and a reused or expired mfa_token', async () => {
    const { secret } = await enrolled('erin');
    const first = await passwordLogin('erin', 'erin password 1');
    const mfaToken = first.body.mfa_token as string;
    const wrong = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: mfaToken, otp: otpAt(secret) === '000000' ? '000001' : '000000' }, { basic: [app.id, app.secret] });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.body.error, 'invalid_grant');
    assert.match(wrong.body.error_description as string, /one-time password is wrong/);

    const otp = otpAt(secret);
    const good = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: mfaToken, otp }, { basic: [app.id, app.secret], secrets: server.secrets });
    assert.equal(good.status, 200);
    const reused = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: mfaToken, otp: otpAt(secret) }, { basic: [app.id, app.secret] });
    assert.equal(reused.status, 400);
    assert.match(reused.body.error_description as string, /mfa_token is invalid, expired or already used/);

    // The same code again, within its 30 seconds, with a fresh mfa_token: a replay.
    const second = await passwordLogin('erin', 'erin password 1');
    const replay = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: second.body.mfa_token as string, otp }, { basic: [app.id, app.secret] });
    assert.equal(replay.status, 400);
    assert.match(replay.body.error_description as string, /already used/);
    // …and on the password grant itself.
    const replayDirect = await passwordLogin('erin', 'erin password 1', { otp });
    assert.equal(replayDirect.status, 400);

    server.clock.advance(301);
    const expired = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: second.body.mfa_token as string, otp: otpAt(secret) }, { basic: [app.id, app.secret] });
    assert.equal(expired.status, 400);
    assert.match(expired.body.error_description as string, /mfa_token is invalid, expired or already used/);
  });

  it('a password change ends the mfa_tokens of the old password', async () => {
    const { secret } = await enrolled('olga');
    const first = await passwordLogin('olga', 'olga password 1');
    await setPassword(server.app.store, server.app.ctx.hasher, server.clock, 'olga', 'olga password 2');
    server.secrets.add('olga password 2');
    const res = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: otpAt(secret) }, { basic: [app.id, app.secret] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('takes the otp on the password grant itself', async () => {
    const { secret } = await enrolled('fay');
    const direct = await passwordLogin('fay', 'fay password 1', { otp: otpAt(secret) });
    assert.equal(direct.status, 200, direct.text);
    assert.equal(direct.body.scope, 'orders');
  });

  it('grants no scope the client lost between the password and the second factor', async () => {
    const { secret } = await enrolled('ida');
    await server.scope('reports', ['reports']);
    const c = await server.client({ name: 'mfa-narrowed', grants: ['password', MFA_OTP], scopes: ['orders', 'reports'] });
    const client = { id: c.id, secret: c.secret! };
    const first = await passwordLogin('ida', 'ida password 1', { scope: 'orders reports' }, client);
    assert.equal(first.status, 403);
    await updateClient(server.app.store, client.id, { scopes: ['orders'] }, server.clock);
    const done = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: otpAt(secret) }, { basic: [client.id, client.secret], secrets: server.secrets });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.scope, 'orders');
  });

  it('spends a recovery code once', async () => {
    const { recoveryCodes } = await enrolled('gus');
    const first = await passwordLogin('gus', 'gus password 1');
    const code = recoveryCodes[0]!;
    const ok = await postForm(tokenUrl, { grant_type: MFA_RECOVERY, mfa_token: first.body.mfa_token as string, recovery_code: code.toLowerCase() }, { basic: [app.id, app.secret], secrets: server.secrets });
    assert.equal(ok.status, 200, ok.text);
    const second = await passwordLogin('gus', 'gus password 1');
    const spent = await postForm(tokenUrl, { grant_type: MFA_RECOVERY, mfa_token: second.body.mfa_token as string, recovery_code: code }, { basic: [app.id, app.secret] });
    assert.equal(spent.status, 400);
    assert.equal(spent.body.error, 'invalid_grant');
    assert.match(spent.body.error_description as string, /recovery code is wrong or already used/);
  });

  it('bounds the guesses per mfa_token at 10 (too_many_attempts), whatever the user budget', async () => {
    const { secret } = await enrolled('hal');
    const first = await passwordLogin('hal', 'hal password 1');
    const wrongCode = otpAt(secret) === '123456' ? '654321' : '123456';
    for (let i = 0; i < 10; i++) {
      const res = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: wrongCode }, { basic: [app.id, app.secret] });
      assert.equal(res.status, i < 10 ? 400 : 429);
    }
    const eleventh = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: otpAt(secret) }, { basic: [app.id, app.secret] });
    assert.equal(eleventh.status, 429);
    assert.equal(eleventh.body.error, 'too_many_attempts');
    assert.ok(eleventh.headers.get('retry-after'));
    // The user's own budget (10 per window) is spent too: even the right code with a new token waits.
    const fresh = await passwordLogin('hal', 'hal password 1');
    const blocked = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: fresh.body.mfa_token as string, otp: otpAt(secret) }, { basic: [app.id, app.secret] });
    assert.equal(blocked.status, 429);
  });

  it('refuses the MFA grants to a client not allowed them, before any code is checked', async () => {
    await server.user('ivy', 'ivy password 1', ['staff']);
    const first = await passwordLogin('ivy', 'ivy password 1', {}, plain);
    assert.equal(first.status, 403);
    const res = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: '123456' }, { basic: [plain.id, plain.secret] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'unauthorized_client');
    // Another client cannot redeem this client's mfa_token.
    const stolen = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: '123456' }, { basic: [app.id, app.secret] });
    assert.equal(stolen.status, 400);
    assert.match(stolen.body.error_description as string, /mfa_token is invalid/);
  });

  it('asks nobody outside the policy, and answers an associate without a token with 401', async () => {
    await server.user('jon', 'jon password 1');
    const res = await passwordLogin('jon', 'jon password 1');
    assert.equal(res.status, 200);
    const anonymous = await fetch(`${server.url}/oauth/mfa/associate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"authenticator_types":["otp"]}' });
    assert.equal(anonymous.status, 401);
    const bad = await associate('not-a-token');
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error, 'invalid_token');
  });
});

describe('ID tokens of MFA logins carry the second factor in amr (OpenID Connect Core §2, RFC 8176)', () => {
  let oidcApp: { id: string; secret: string };
  before(async () => {
    const c = await server.client({ name: 'mfa-oidc', grants: ['password', 'refresh_token', MFA_OTP, MFA_RECOVERY], scopes: ['openid', 'orders'] });
    oidcApp = { id: c.id, secret: c.secret! };
  });

  async function verifiedIdToken(tokens: { status: number; text: string; body: Record<string, unknown> }) {
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(typeof tokens.body.id_token, 'string', 'an ID token with the openid scope');
    const { payload } = await jwtVerify(tokens.body.id_token as string, createRemoteJWKSet(new URL(`${server.url}/oauth/jwks`)), {
      issuer: server.url,
      audience: oidcApp.id,
      currentDate: new Date(server.clock.nowSeconds() * 1000),
    });
    return payload;
  }

  it('mfa-otp grant: amr pwd, otp, mfa and the time of the second factor; a refresh keeps them', async () => {
    const { secret } = await enrolled('quinn');
    const first = await passwordLogin('quinn', 'quinn password 1', { scope: 'openid orders' }, oidcApp);
    assert.equal(first.status, 403);
    assert.equal(first.body.id_token, undefined);
    const tokens = await postForm(
      tokenUrl,
      { grant_type: MFA_OTP, mfa_token: first.body.mfa_token as string, otp: otpAt(secret) },
      { basic: [oidcApp.id, oidcApp.secret], secrets: server.secrets },
    );
    const claims = await verifiedIdToken(tokens);
    assert.equal(claims.sub, 'quinn');
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
    assert.equal(claims.auth_time, server.clock.nowSeconds());
    assert.equal(tokens.body.scope, 'openid orders');

    server.clock.advance(60);
    const refreshed = await postForm(
      tokenUrl,
      { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string },
      { basic: [oidcApp.id, oidcApp.secret], secrets: server.secrets },
    );
    const again = await verifiedIdToken(refreshed);
    assert.deepEqual(again.amr, ['pwd', 'otp', 'mfa'], 'the family remembers how the user signed in');
    assert.equal(again.auth_time, claims.auth_time);
  });

  it('otp on the password grant itself: amr includes otp', async () => {
    const { secret } = await enrolled('rita');
    const direct = await passwordLogin('rita', 'rita password 1', { scope: 'openid', otp: otpAt(secret) }, oidcApp);
    const claims = await verifiedIdToken(direct);
    assert.ok((claims.amr as string[]).includes('otp'));
    assert.deepEqual(claims.amr, ['pwd', 'otp', 'mfa']);
  });

  it('mfa-recovery-code grant: amr pwd and mfa, no otp', async () => {
    const { recoveryCodes } = await enrolled('sven');
    const first = await passwordLogin('sven', 'sven password 1', { scope: 'openid' }, oidcApp);
    const tokens = await postForm(
      tokenUrl,
      { grant_type: MFA_RECOVERY, mfa_token: first.body.mfa_token as string, recovery_code: recoveryCodes[0]! },
      { basic: [oidcApp.id, oidcApp.secret], secrets: server.secrets },
    );
    const claims = await verifiedIdToken(tokens);
    assert.deepEqual(claims.amr, ['pwd', 'mfa']);
    // A user outside the policy: a password alone.
    await server.user('tess', 'tess password 1');
    const plainLogin = await passwordLogin('tess', 'tess password 1', { scope: 'openid' }, oidcApp);
    assert.deepEqual((await verifiedIdToken(plainLogin)).amr, ['pwd']);
  });
});

describe("a client written for Auth0's flow works unchanged (Auth0's request shapes)", () => {
  it("Auth0's ROPC request gets mfa_required, associate with a Bearer mfa_token and JSON, then the Auth0 grant type", async () => {
    await server.user('kim', 'kim password 1', ['staff']);
    // Auth0's "Resource Owner Password Flow": client_id and client_secret in the body.
    const login = await postForm(tokenUrl, { grant_type: 'password', username: 'kim', password: 'kim password 1', client_id: app.id, client_secret: app.secret, scope: 'orders' }, {});
    assert.equal(login.status, 403);
    assert.equal(login.body.error, 'mfa_required');
    const mfaToken = login.body.mfa_token as string;
    const enrolment = await associate(mfaToken);
    assert.equal(enrolment.status, 200);
    // Auth0's "Challenge with OTP": grant_type=http://auth0.com/oauth/grant-type/mfa-otp, client credentials in the body.
    server.secrets.add(mfaToken);
    const tokens = await postForm(
      tokenUrl,
      { grant_type: AUTH0_MFA_OTP, client_id: app.id, client_secret: app.secret, mfa_token: mfaToken, otp: otpAt(enrolment.body.secret as string) },
      { secrets: server.secrets },
    );
    assert.equal(tokens.status, 200, tokens.text);
    assert.equal(tokens.body.token_type, 'Bearer');
  });

  it("the recovery-code alias, as Auth0's documentation sends it", async () => {
    const { recoveryCodes } = await enrolled('noa');
    const login = await passwordLogin('noa', 'noa password 1');
    const res = await postForm(
      tokenUrl,
      { grant_type: 'http://auth0.com/oauth/grant-type/mfa-recovery-code', client_id: app.id, client_secret: app.secret, mfa_token: login.body.mfa_token as string, recovery_code: recoveryCodes[3]! },
      { secrets: server.secrets },
    );
    assert.equal(res.status, 200, res.text);
  });

  it('the metadata lists both names of each MFA grant', async () => {
    const metadata = (await (await fetch(`${server.url}/.well-known/oauth-authorization-server`)).json()) as { grant_types_supported: string[] };
    for (const name of [MFA_OTP, MFA_RECOVERY, AUTH0_MFA_OTP]) assert.ok(metadata.grant_types_supported.includes(name), name);
  });
});

describe('the associate endpoint (Auth0 MFA API shape)', () => {
  it('takes the mfa_token in a form body too, refuses it twice over and other authenticator types', async () => {
    await server.user('lea', 'lea password 1', ['staff']);
    const login = await passwordLogin('lea', 'lea password 1');
    const token = login.body.mfa_token as string;
    const post = (body: string, headers: Record<string, string>) => fetch(`${server.url}/oauth/mfa/associate`, { method: 'POST', headers, body });
    const both = await post(new URLSearchParams({ mfa_token: token }).toString(), { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${token}` });
    assert.equal(both.status, 400);
    const sms = await post(JSON.stringify({ authenticator_types: ['oob'], oob_channels: ['sms'] }), { 'content-type': 'application/json', authorization: `Bearer ${token}` });
    assert.equal(sms.status, 400);
    assert.equal(((await sms.json()) as { error: string }).error, 'invalid_request');
    // A Bearer header that is not one b64token (RFC 6750 §2.1) is refused, not read as no token.
    const malformed = await post(JSON.stringify({}), { 'content-type': 'application/json', authorization: `Bearer ${token} ${token}` });
    assert.equal(malformed.status, 400);
    assert.equal(((await malformed.json()) as { error: string }).error, 'invalid_request');
    const form = await post(new URLSearchParams({ mfa_token: token }).toString(), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 200);
    const body = (await form.json()) as { secret: string; recovery_codes: string[] };
    server.secrets.add(body.secret);
    body.recovery_codes.forEach((code) => server.secrets.add(code));
    // Not confirmed yet: a second associate replaces the enrolment (a new secret).
    const again = await associate(token);
    assert.equal(again.status, 200);
    assert.notEqual(again.body.secret, body.secret);
    const first = await postForm(tokenUrl, { grant_type: MFA_OTP, mfa_token: token, otp: otpAt(body.secret) }, { basic: [app.id, app.secret] });
    assert.equal(first.status, 400, 'the replaced secret no longer works');
  });
});

describe('the MFA policy and factors in the admin API', () => {
  it('validates the policy settings, enrols a user with a QR code, and resets the factor', async () => {
    const session = await signIn(server);
    const unknownGroup = await adminCall(server, 'PATCH', '/settings', { session, body: { mfa_required_groups: ['no-such-group'] } });
    assert.equal(unknownGroup.status, 400);
    assert.equal(unknownGroup.body.field, 'mfa_required_groups');
    const badPolicy = await adminCall(server, 'PATCH', '/settings', { session, body: { mfa_policy: 'sometimes' } });
    assert.equal(badPolicy.status, 400);
    const settings = await adminCall(server, 'GET', '/settings', { session });
    assert.equal(settings.body.mfa_policy, 'required');
    assert.deepEqual(settings.body.mfa_required_groups, ['staff']);

    await server.user('max', 'max password 1');
    assert.deepEqual((await adminCall(server, 'GET', '/users/max/mfa', { session })).body, { username: 'max', enrolled: false, pending: false, enrolled_at: null, recovery_codes_left: 0 });
    const enrolled = await adminCall(server, 'POST', '/users/max/mfa', { session });
    assert.equal(enrolled.status, 201);
    assert.equal(enrolled.headers.get('cache-control'), 'no-store');
    server.secrets.add(enrolled.body.secret);
    (enrolled.body.recovery_codes as string[]).forEach((code) => server.secrets.add(code));
    assert.match(enrolled.body.qr_code, /^data:image\/png;base64,/);
    assert.equal(new URL(enrolled.body.otpauth_uri).searchParams.get('secret'), enrolled.body.secret);
    assert.equal((await adminCall(server, 'POST', '/users/max/mfa', { session })).status, 409);
    // Outside the required group, but enrolled: asked, and the administrator's secret works.
    const asked = await passwordLogin('max', 'max password 1');
    assert.equal(asked.status, 403);
    const ok = await passwordLogin('max', 'max password 1', { otp: otpAt(enrolled.body.secret) });
    assert.equal(ok.status, 200);
    assert.equal((await adminCall(server, 'DELETE', '/users/max/mfa', { session })).status, 204);
    assert.equal((await adminCall(server, 'DELETE', '/users/max/mfa', { session })).status, 404);
    assert.equal((await passwordLogin('max', 'max password 1')).status, 200, 'no factor, not required: the password alone');
  });
});

describe('the audit log records every MFA event without a secret', () => {
  it('mfa.required, mfa.enrolled, mfa.succeeded, mfa.failed, mfa.throttled, mfa.reset', async () => {
    await server.app.ctx.audit.flush();
    const records = await server.app.store.listAudit({ limit: 500 });
    const types = new Set(records.map((record) => record.type));
    for (const type of ['mfa.required', 'mfa.enrolled', 'mfa.succeeded', 'mfa.failed', 'mfa.throttled', 'mfa.reset']) assert.ok(types.has(type as never), type);
    const text = JSON.stringify(records);
    assert.deepEqual([...server.secrets].filter((secret) => secret.length >= 6 && text.includes(secret)), []);
  });
});
