import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
// An independent TOTP implementation (RFC 6238): not the library the server uses.
import { generateSync } from 'otplib';
import { enrolUserMfa } from '../../src/manage/mfa.ts';
import { updateSettings } from '../../src/manage/settings.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizePath, pkcePair, problemText, redirectParams, TestBrowser } from '../helpers/sign-in.ts';

// docs/mfa.md "Sign-in page": the second step of the authorization endpoint over real HTTP, without JavaScript.
describe('the sign-in page asks enrolled users for a second factor (mfa_policy: optional)', () => {
  let server: TestServer;
  let clientId: string;
  let otherClientId: string;
  let secret: string;
  let recoveryCodes: string[];
  const redirectUri = 'https://app.example/cb';

  before(async () => {
    server = await startTestServer();
    await server.scope('orders', ['orders']);
    const client = await server.client({ name: 'Shop', type: 'public', grants: ['authorization_code'], scopes: ['orders'], redirectUris: [redirectUri], consent: 'skip' });
    clientId = client.id;
    otherClientId = (await server.client({ name: 'Other', type: 'public', grants: ['authorization_code'], scopes: ['orders'], redirectUris: [redirectUri], consent: 'skip' })).id;
    await server.user('alice', 'alice-password-1');
    await updateSettings(server.app.store, { mfaPolicy: 'optional' }, server.clock);
    ({ secret, recoveryCodes } = await enrolUserMfa(server.app.store, server.app.ctx.secretBox, 'alice', server.url, server.clock));
    server.secrets.add(secret);
    recoveryCodes.forEach((code) => server.secrets.add(code));
  });

  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  const request = (client = clientId) =>
    authorizePath({ response_type: 'code', client_id: client, redirect_uri: redirectUri, scope: 'orders', state: 'st', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });

  async function passwordDone(browser: TestBrowser) {
    const signIn = await browser.get(request());
    const step = await browser.submit(signIn, { username: 'alice', password: 'alice-password-1' });
    assert.equal(step.status, 200);
    assert.match(step.html, /Two-step verification/);
    return step;
  }

  it('after the password: no session yet, an HttpOnly challenge cookie, and the code page', async () => {
    const browser = new TestBrowser(server.url);
    await passwordDone(browser);
    assert.ok(browser.cookies.has('portcullis-mfa'));
    assert.ok(!browser.cookies.has('portcullis-session'), 'no login session before the second factor');
    server.secrets.add(browser.cookies.get('portcullis-mfa')!);
    const setCookie = browser.setCookies.find((header) => header.startsWith('portcullis-mfa='))!;
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Lax/);
    assert.equal(await server.app.store.listLoginSessions('alice').then((sessions) => sessions.length), 0);
  });

  it('a wrong code shows the page again with the problem; the right one redirects with a code and starts the session', async () => {
    const browser = new TestBrowser(server.url);
    const step = await passwordDone(browser);
    const wrong = await browser.submit(step, { otp: '12345' });
    assert.equal(wrong.status, 400);
    assert.equal(problemText(wrong.html), 'The one-time password is wrong.');
    const right = await browser.submit(wrong, { otp: generateSync({ secret, epoch: server.clock.nowSeconds() }) });
    assert.equal(right.status, 303);
    assert.ok(redirectParams(right.location).code);
    assert.ok(browser.cookies.has('portcullis-session'));
    assert.ok(!browser.cookies.has('portcullis-mfa'), 'the challenge cookie is cleared');
    const [session] = await server.app.store.listLoginSessions('alice');
    assert.deepEqual(session!.amr, ['pwd', 'otp', 'mfa']);
    server.clock.advance(30);
  });

  it('takes a recovery code once, and records amr ["pwd", "mfa"]', async () => {
    const browser = new TestBrowser(server.url);
    const step = await passwordDone(browser);
    const done = await browser.submit(step, { recovery_code: recoveryCodes[0]!.toLowerCase().replace(/-/g, ' ') });
    assert.equal(done.status, 303);
    const sessions = await server.app.store.listLoginSessions('alice');
    assert.ok(sessions.some((session) => session.amr.join(' ') === 'pwd mfa'));
    const again = new TestBrowser(server.url);
    const spent = await again.submit(await passwordDone(again), { recovery_code: recoveryCodes[0]! });
    assert.equal(spent.status, 400);
    assert.equal(problemText(spent.html), 'The recovery code is wrong or already used.');
  });

  it('the challenge belongs to its client: another client starts at the password again; prompt=none answers login_required', async () => {
    const browser = new TestBrowser(server.url);
    await passwordDone(browser);
    const other = await browser.get(request(otherClientId));
    assert.equal(other.status, 200);
    assert.match(other.html, /<h1>Sign in<\/h1>/);
    const none = await browser.get(`${request()}&prompt=none`);
    assert.equal(none.status, 303);
    assert.equal(redirectParams(none.location).error, 'login_required');
  });

  it('a submitted code without the form\'s CSRF token is refused', async () => {
    const browser = new TestBrowser(server.url);
    const step = await passwordDone(browser);
    const forged = await browser.submit(step, { csrf_token: 'forged', otp: generateSync({ secret, epoch: server.clock.nowSeconds() }) });
    assert.equal(forged.status, 403);
    assert.ok(!browser.cookies.has('portcullis-session'));
  });
});
