import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

// RFC 6749 §6 (normative) and docs/oauth.md "Refresh tokens": rotation and reuse detection (hardening,
// as RFC 9700 §4.14.2 recommends).

let server: TestServer;
let tokenUrl: string;
let client: { id: string; secret: string };

before(async () => {
  server = await startTestServer();
  tokenUrl = `${server.url}/oauth/token`;
  await server.scope('orders');
  await server.scope('billing');
  const c = await server.client({ name: 'app', grants: ['password', 'refresh_token'], scopes: ['orders', 'billing'] });
  client = { id: c.id, secret: c.secret! };
  await server.user('alice', 'alice-password-1');
});

after(async () => {
  assert.deepEqual(findLeaks(server.logs, server.secrets), []);
  await server.close();
});

const auth = () => ({ basic: [client.id, client.secret] as [string, string], secrets: server.secrets });

async function login(extra: Record<string, string> = {}, as = auth()) {
  const res = await postForm(tokenUrl, { grant_type: 'password', username: 'alice', password: 'alice-password-1', ...extra }, as);
  assert.equal(res.status, 200, res.text);
  return res.body as { access_token: string; refresh_token: string; scope: string };
}

function refresh(refreshToken: string, extra: Record<string, string> = {}, as = auth()) {
  return postForm(tokenUrl, { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra }, as);
}

async function introspect(token: string) {
  return (await postForm(`${server.url}/oauth/introspect`, { token }, auth())).body;
}

describe('refresh rotation', () => {
  it('returns a new access and refresh token, and the presented one dies', async () => {
    const first = await login();
    const res = await refresh(first.refresh_token);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.notEqual(res.body.refresh_token, first.refresh_token);
    assert.notEqual(res.body.access_token, first.access_token);
    assert.equal(res.body.scope, 'billing orders');
    assert.equal((await introspect(first.refresh_token)).active, false, 'the rotated token is dead');
    assert.equal((await introspect(res.body.refresh_token as string)).active, true);
    assert.equal((await introspect(res.body.access_token as string)).active, true);
  });

  it('presenting a rotated token revokes the whole family → invalid_grant', async () => {
    const first = await login();
    const second = await refresh(first.refresh_token);
    const replay = await refresh(first.refresh_token);
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    for (const token of [first.access_token, second.body.access_token, second.body.refresh_token]) {
      assert.equal((await introspect(token as string)).active, false, 'every token of the grant is revoked');
    }
    const afterReuse = await refresh(second.body.refresh_token as string);
    assert.equal(afterReuse.body.error, 'invalid_grant', 'the newest refresh token is dead too');
  });

  it('leaves other grants of the same user alone when one family is revoked', async () => {
    const a = await login();
    const b = await login();
    await refresh(a.refresh_token);
    await refresh(a.refresh_token);
    assert.equal((await introspect(b.access_token)).active, true);
  });

  it('refuses a refresh token issued to another client, without revoking it', async () => {
    const other = await server.client({ name: 'other', grants: ['refresh_token', 'password'], scopes: ['orders'] });
    const mine = await login();
    const res = await refresh(mine.refresh_token, {}, { basic: [other.id, other.secret!], secrets: server.secrets });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
    assert.equal((await refresh(mine.refresh_token)).status, 200, 'the owner can still use it');
  });

  it('refuses an access token presented as a refresh token', async () => {
    const first = await login();
    const res = await refresh(first.access_token);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('refuses an unknown refresh token', async () => {
    const res = await refresh('not-a-token-we-issued');
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('refuses a client that may not use the refresh_token grant → unauthorized_client', async () => {
    const first = await login();
    const passwordOnly = await server.client({ name: 'password-only', grants: ['password'] });
    const res = await refresh(first.refresh_token, {}, { basic: [passwordOnly.id, passwordOnly.secret!], secrets: server.secrets });
    assert.equal(res.body.error, 'unauthorized_client');
  });
});

describe('refresh scope (RFC 6749 §6)', () => {
  it('may narrow the scope, and the refresh token keeps the original scope', async () => {
    const first = await login();
    const narrowed = await refresh(first.refresh_token, { scope: 'orders' });
    assert.equal(narrowed.status, 200);
    assert.equal(narrowed.body.scope, 'orders');
    assert.equal((await introspect(narrowed.body.access_token as string)).scope, 'orders');
    const again = await refresh(narrowed.body.refresh_token as string, { scope: 'billing orders' });
    assert.equal(again.status, 200, 'the original scope can still be asked for');
    assert.equal(again.body.scope, 'billing orders');
  });

  it('may not widen it → invalid_scope', async () => {
    const first = await login({ scope: 'orders' });
    const res = await refresh(first.refresh_token, { scope: 'orders billing' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_scope');
    assert.equal((await refresh(first.refresh_token)).status, 200, 'a refused request does not burn the token');
  });
});

describe('refresh limit (README "Concepts")', () => {
  it('allows exactly N refreshes per family, then invalid_grant', async () => {
    const limited = await server.client({ name: 'limited', grants: ['password', 'refresh_token'], refreshLimit: 2 });
    const as = { basic: [limited.id, limited.secret!] as [string, string], secrets: server.secrets };
    let current = (await login({}, as)).refresh_token;
    for (let i = 0; i < 2; i++) {
      const res = await refresh(current, {}, as);
      assert.equal(res.status, 200, `refresh ${i + 1} of 2`);
      current = res.body.refresh_token as string;
    }
    const over = await refresh(current, {}, as);
    assert.equal(over.status, 400);
    assert.equal(over.body.error, 'invalid_grant');
    assert.match(over.body.error_description as string, /limit/);
    const fresh = await login({}, as);
    assert.equal((await refresh(fresh.refresh_token, {}, as)).status, 200, 'the limit is per family');
  });
});

describe('expiry with an injected clock', () => {
  it('an access token is inactive once its lifetime has passed', async () => {
    const first = await login();
    server.clock.advance(3599);
    assert.equal((await introspect(first.access_token)).active, true);
    server.clock.advance(1);
    assert.equal((await introspect(first.access_token)).active, false);
  });

  it('a refresh token works until its own lifetime ends', async () => {
    const short = await server.client({ name: 'short-refresh', grants: ['password', 'refresh_token'], refreshTokenTtl: 600 });
    const as = { basic: [short.id, short.secret!] as [string, string], secrets: server.secrets };
    const first = await login({}, as);
    server.clock.advance(599);
    const ok = await refresh(first.refresh_token, {}, as);
    assert.equal(ok.status, 200);
    server.clock.advance(600);
    const expired = await refresh(ok.body.refresh_token as string, {}, as);
    assert.equal(expired.body.error, 'invalid_grant');
  });
});

describe('account changes end grants (docs/oauth.md)', () => {
  it('a password change ends the user\'s refresh tokens', async () => {
    await server.user('bob', 'bob-password-1');
    const res = await postForm(tokenUrl, { grant_type: 'password', username: 'bob', password: 'bob-password-1' }, auth());
    const { setPassword } = await import('../../src/manage/users.ts');
    await setPassword(server.app.store, server.hasher, server.clock, 'bob', 'bob-password-2');
    server.secrets.add('bob-password-2');
    assert.equal((await refresh(res.body.refresh_token as string)).body.error, 'invalid_grant');
    assert.equal((await introspect(res.body.access_token as string)).active, false);
  });
});
