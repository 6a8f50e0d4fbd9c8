import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashSecret } from '../../src/core/secrets.ts';
import { setPassword, setUserEnabled } from '../../src/manage/users.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizePath, hiddenFields, type PageResponse, redirectParams, TestBrowser } from '../helpers/sign-in.ts';

const REDIRECT = 'https://app.example/callback';

/** Login sessions at the authorization endpoint (docs/oauth.md "Login sessions"), over real HTTP. */
describe('login sessions', () => {
  let server: TestServer;
  let client: { id: string };
  let path: string;

  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: 'loopback' } });
    client = await server.client({ type: 'confidential', grants: ['authorization_code'], redirectUris: [REDIRECT], consent: 'skip' });
    path = authorizePath({ client_id: client.id, redirect_uri: REDIRECT, response_type: 'code' });
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  /** A browser signed in as `username`, and the answer to its sign-in (a redirect with a code). */
  async function signedIn(username: string, browser = new TestBrowser(server.url)): Promise<{ browser: TestBrowser; answer: PageResponse }> {
    if (!(await server.app.store.findUser(username))) await server.user(username, `${username}-password-1`);
    const page = await browser.get(path);
    const answer = await browser.submit(page, { username, password: `${username}-password-1` });
    assert.equal(answer.status, 303, 'signed in');
    server.secrets.add(redirectParams(answer.location).code!);
    for (const value of browser.cookies.values()) server.secrets.add(value);
    return { browser, answer };
  }

  const asksToSignIn = async (browser: TestBrowser) => /<h1>Sign in<\/h1>/.test((await browser.get(path)).html);

  test('the cookie on loopback HTTP: HttpOnly, SameSite=Lax, Path=/, not Secure; only its hash is stored', async () => {
    const { browser } = await signedIn('alice');
    const header = browser.setCookies.find((cookie) => cookie.startsWith('portcullis-session='))!;
    assert.match(header, /; HttpOnly/);
    assert.match(header, /; SameSite=Lax/);
    assert.match(header, /; Path=\//);
    assert.match(header, /; Max-Age=36000/);
    assert.doesNotMatch(header, /Secure|Domain/);
    const id = browser.cookies.get('portcullis-session')!;
    const [stored] = await server.app.store.listLoginSessions('alice');
    assert.equal(stored?.idHash, hashSecret(id));
    assert.notEqual(stored?.idHash, id);
    assert.deepEqual(stored?.amr, ['pwd']);
    assert.equal(stored?.authTime, server.clock.nowSeconds());
  });

  test('over HTTPS the cookies carry the __Host- prefix and Secure', async () => {
    const browser = new TestBrowser(server.url, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' });
    await signedIn('bob', browser);
    const session = browser.setCookies.find((cookie) => cookie.startsWith('__Host-portcullis-session='))!;
    const csrf = browser.setCookies.find((cookie) => cookie.startsWith('__Host-portcullis-csrf='))!;
    for (const header of [session, csrf]) {
      assert.match(header, /; Secure/);
      assert.match(header, /; Path=\//);
      assert.match(header, /; HttpOnly/);
      assert.doesNotMatch(header, /Domain/);
    }
    assert.equal((await server.app.store.listLoginSessions('bob'))[0]?.ip, '203.0.113.9');
    assert.equal(await asksToSignIn(browser), false, 'the session works over HTTPS');
  });

  test('a new session id at every sign-in: one planted before it is worth nothing (no fixation)', async () => {
    const browser = new TestBrowser(server.url);
    browser.cookies.set('portcullis-session', 'planted-by-an-attacker-0123456789abcdefghijklm');
    await signedIn('carol', browser);
    const id = browser.cookies.get('portcullis-session')!;
    assert.notEqual(id, 'planted-by-an-attacker-0123456789abcdefghijklm');
    // Signing in again (prompt=login) replaces the session; the old id ends.
    const page = await browser.get(`${path}&prompt=login`);
    await browser.submit(page, { username: 'carol', password: 'carol-password-1' });
    const next = browser.cookies.get('portcullis-session')!;
    server.secrets.add(next);
    assert.notEqual(next, id);
    assert.equal(await server.app.store.findLoginSession(hashSecret(id)), undefined);
    assert.equal((await server.app.store.listLoginSessions('carol')).length, 1);
  });

  test('idle timeout: unused for 30 minutes, the session has ended and its cookie is cleared', async () => {
    const { browser } = await signedIn('dave');
    server.clock.advance(1799);
    assert.equal(await asksToSignIn(browser), false, 'used within the idle limit');
    server.clock.advance(1800);
    assert.equal(await asksToSignIn(browser), true);
    assert.equal(browser.cookies.has('portcullis-session'), false, 'the dead cookie is cleared');
    assert.deepEqual(await server.app.store.listLoginSessions('dave'), []);
  });

  test('absolute timeout: 10 hours after the sign-in, however busy', async () => {
    const { browser } = await signedIn('erin');
    for (let hour = 0; hour < 9; hour++) {
      server.clock.advance(1200);
      assert.equal(await asksToSignIn(browser), false, `after ${hour}h20`);
      server.clock.advance(1200);
      assert.equal(await asksToSignIn(browser), false);
      server.clock.advance(1200);
      assert.equal(await asksToSignIn(browser), false);
    }
    server.clock.advance(3600);
    assert.equal(await asksToSignIn(browser), true);
  });

  test('POST /oauth/logout ends the session (with the sign-out page\'s CSRF token)', async () => {
    const { browser } = await signedIn('frank');
    const page = await browser.get('/oauth/logout');
    assert.match(page.html, /You are signed in as <strong>frank<\/strong>/);
    const refused = await browser.post('/oauth/logout', {});
    assert.equal(refused.status, 403, 'no token: another page cannot sign the user out');
    assert.equal(await asksToSignIn(browser), false);
    const out = await browser.post('/oauth/logout', hiddenFields(page.html));
    assert.equal(out.status, 200);
    assert.match(out.html, /You are signed out/);
    assert.equal(browser.cookies.has('portcullis-session'), false);
    assert.deepEqual(await server.app.store.listLoginSessions('frank'), []);
    assert.equal(await asksToSignIn(browser), true);
    await server.app.ctx.audit.flush();
    const ended = (await server.app.store.listAudit({ limit: 10, type: 'session.ended' })).find((record) => record.username === 'frank');
    assert.equal(ended?.reason, 'logout');
    // Signing out twice, or without a session, is harmless.
    assert.equal((await browser.post('/oauth/logout', {})).status, 200);
  });

  test('a password change, disabling the user or deleting them ends their sessions', async () => {
    const a = await signedIn('gina');
    await setPassword(server.app.store, server.hasher, server.clock, 'gina', 'gina-password-2');
    assert.equal(await asksToSignIn(a.browser), true, 'after a password change');

    const b = await signedIn('hank');
    await setUserEnabled(server.app.store, server.clock, 'hank', false);
    assert.equal(await asksToSignIn(b.browser), true, 'after disabling');
    await setUserEnabled(server.app.store, server.clock, 'hank', true);
    assert.equal(await asksToSignIn(b.browser), true, 'enabling again does not bring the session back');

    const c = await signedIn('ivan');
    await server.app.store.deleteUser('ivan');
    assert.equal(await asksToSignIn(c.browser), true, 'after deleting');
  });
});
