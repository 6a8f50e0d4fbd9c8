import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashSecret } from '../../src/core/secrets.ts';
import { adminCall, type AdminSessionCookie, signIn } from '../helpers/admin.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizePath, pkcePair, redirectParams, TestBrowser } from '../helpers/sign-in.ts';

const REDIRECT = 'https://app.example/callback';

/** The admin API's side of the authorization code grant (docs/admin.md "Sign-in sessions and consents"). */
describe('admin API: code-grant clients, sign-in settings, login sessions and consents', () => {
  let server: TestServer;
  let session: AdminSessionCookie;
  let clientId: string;
  const call = (method: string, path: string, body?: unknown) => adminCall(server, method, path, { session, body });

  before(async () => {
    server = await startTestServer();
    session = await signIn(server);
    await server.scope('orders');
    await server.user('alice', 'alice-password-1');
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  test('a client with the authorization_code grant, its redirect URIs and consent mode; bad ones named by field', async () => {
    const created = await call('POST', '/clients', {
      name: 'Shop SPA',
      type: 'public',
      grants: ['authorization_code', 'refresh_token'],
      scopes: ['orders'],
      redirect_uris: [REDIRECT, 'http://127.0.0.1/cb'],
      consent: 'remember',
    });
    assert.equal(created.status, 201);
    clientId = created.body.client.client_id;
    assert.deepEqual(created.body.client.redirect_uris, [REDIRECT, 'http://127.0.0.1/cb']);
    assert.equal(created.body.client.consent, 'remember');
    const bad = await call('PATCH', `/clients/${clientId}`, { redirect_uris: ['http://app.example/cb'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'redirect_uris');
    const none = await call('PATCH', `/clients/${clientId}`, { redirect_uris: [] });
    assert.equal(none.body.field, 'redirect_uris');
    assert.equal((await call('PATCH', `/clients/${clientId}`, { consent: 'never' })).body.field, 'consent');
  });

  test('the sign-in settings: read, changed, checked', async () => {
    const changed = await call('PATCH', '/settings', {
      authorization_code_ttl: 300,
      require_pkce: true,
      login_session_idle_ttl: 900,
      login_session_max_ttl: 7200,
      approval_page_title: 'Acme',
      approval_page_logo_url: 'https://acme.example/logo.png',
      approval_page_heading: 'Let it in?',
      approval_page_footer: 'Help: x1234',
    });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.authorization_code_ttl, 300);
    assert.equal(changed.body.approval_page_logo_url, 'https://acme.example/logo.png');
    assert.equal((await call('PATCH', '/settings', { authorization_code_ttl: 601 })).body.field, 'authorization_code_ttl');
    assert.equal((await call('PATCH', '/settings', { approval_page_logo_url: 'javascript:alert(1)' })).body.field, 'approval_page_logo_url');
    const page = await new TestBrowser(server.url).get(
      authorizePath({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' }),
    );
    assert.match(page.html, /<title>Sign in · Acme<\/title>/);
    assert.match(page.html, /<img src="https:\/\/acme\.example\/logo\.png" alt\/>/);
    assert.match(page.html, /<footer class="footer">Help: x1234<\/footer>/);
    assert.match(page.headers.get('content-security-policy') ?? '', /img-src https:\/\/acme\.example;/);
    await call('PATCH', '/settings', { approval_page_logo_url: '', approval_page_footer: '', require_pkce: false });
  });

  describe('sessions and consents of a signed-in user', () => {
    let browser: TestBrowser;
    let refreshToken: string;
    const pkce = pkcePair();
    const path = () =>
      authorizePath({ client_id: clientId, redirect_uri: REDIRECT, response_type: 'code', code_challenge: pkce.challenge, code_challenge_method: 'S256' });

    before(async () => {
      browser = new TestBrowser(server.url);
      const approval = await browser.submit(await browser.get(path()), { username: 'alice', password: 'alice-password-1' });
      const answer = await browser.submit(approval, { decision: 'approve' });
      const code = redirectParams(answer.location).code!;
      for (const value of [code, ...browser.cookies.values()]) server.secrets.add(value);
      const issued = await postForm(
        `${server.url}/oauth/token`,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: pkce.verifier, client_id: clientId },
        { secrets: server.secrets },
      );
      assert.equal(issued.status, 200);
      refreshToken = issued.body.refresh_token as string;
    });

    test('the user\'s login sessions are listed by the hash of their id, never the id', async () => {
      const listed = await call('GET', '/users/alice/sessions');
      assert.equal(listed.status, 200);
      assert.equal(listed.body.length, 1);
      const [one] = listed.body;
      assert.equal(one.id, hashSecret(browser.cookies.get('portcullis-session')!));
      assert.equal(one.ip, '127.0.0.1');
      assert.deepEqual(one.amr, ['pwd']);
      assert.ok(!JSON.stringify(listed.body).includes(browser.cookies.get('portcullis-session')!));
      assert.equal((await call('GET', '/users/nobody/sessions')).status, 404);
    });

    test('consents are listed per user and per client', async () => {
      const byUser = await call('GET', '/users/alice/consents');
      assert.deepEqual(byUser.body.map((c: { client_id: string; scope: string[] }) => [c.client_id, c.scope]), [[clientId, ['orders']]]);
      const byClient = await call('GET', `/clients/${clientId}/consents`);
      assert.deepEqual(byClient.body.map((c: { username: string }) => c.username), ['alice']);
      assert.equal((await call('GET', '/clients/nope/consents')).status, 404);
    });

    test('ending one session, or all, makes the browser sign in again', async () => {
      const [one] = (await call('GET', '/users/alice/sessions')).body;
      assert.equal((await call('DELETE', `/users/alice/sessions/${encodeURIComponent(one.id)}`)).status, 204);
      assert.equal((await call('DELETE', `/users/alice/sessions/${encodeURIComponent(one.id)}`)).status, 404);
      assert.match((await browser.get(path())).html, /<h1>Sign in<\/h1>/);
      const again = await browser.submit(await browser.get(path()), { username: 'alice', password: 'alice-password-1' });
      assert.equal(again.status, 303, 'consent remembered');
      server.secrets.add(redirectParams(again.location).code!);
      for (const value of browser.cookies.values()) server.secrets.add(value);
      const all = await call('DELETE', '/users/alice/sessions');
      assert.deepEqual(all.body, { ended: 1 });
      assert.match((await browser.get(path())).html, /<h1>Sign in<\/h1>/);
      const audit = (await call('GET', '/audit?type=session.ended')).body.records;
      assert.ok(audit.some((record: { username: string; reason: string }) => record.username === 'alice' && record.reason === 'admin'));
    });

    test('withdrawing a consent asks again and ends the client\'s grants for the user', async () => {
      assert.equal((await call('DELETE', `/users/alice/consents/${clientId}`)).status, 204);
      assert.equal((await call('DELETE', `/users/alice/consents/${clientId}`)).status, 404);
      const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId });
      assert.equal(refreshed.body.error, 'invalid_grant');
      const approval = await browser.submit(await browser.get(path()), { username: 'alice', password: 'alice-password-1' });
      assert.match(approval.html, /wants to access your account/);
      for (const value of browser.cookies.values()) server.secrets.add(value);
      const audit = (await call('GET', '/audit?type=consent.withdrawn')).body.records;
      assert.equal(audit[0]?.client_id, clientId);
    });
  });
});
