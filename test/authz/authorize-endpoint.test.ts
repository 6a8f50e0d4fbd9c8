import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditRecord } from '../../src/core/audit.ts';
import { updateSettings } from '../../src/manage/settings.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizePath, hiddenFields, type PageResponse, pkcePair, problemText, redirectParams, TestBrowser } from '../helpers/sign-in.ts';

const REDIRECT = 'https://app.example/callback';
const PASSWORD = 'alice-password-1';

/**
 * The authorization endpoint over real HTTP, without a browser (test/e2e has the Chromium runs).
 * Assertions are normative (the RFC section says MUST) unless marked as hardening.
 */
describe('authorization endpoint (RFC 6749 §4.1, RFC 7636, RFC 9207, OpenID Connect Core §3.1.2)', () => {
  let server: TestServer;
  let spa: { id: string };
  let confidential: { id: string; secret: string | undefined };
  let passwordOnly: { id: string };
  let twoRedirects: { id: string };
  const pkce = pkcePair();

  before(async () => {
    // A small (username, address) budget, so that throttling shows after a few wrong passwords.
    server = await startTestServer({ env: { PORTCULLIS_THROTTLE_USER_IP_FAILURES: '3' } });
    await server.app.store.saveScope({ name: 'orders', description: 'Read and place your orders', resources: ['orders'] });
    await server.scope('profile');
    spa = await server.client({
      name: 'Shop',
      type: 'public',
      grants: ['authorization_code', 'refresh_token'],
      scopes: ['orders', 'profile'],
      redirectUris: [REDIRECT, 'http://127.0.0.1/native'],
    });
    confidential = await server.client({ type: 'confidential', grants: ['authorization_code'], scopes: ['orders'], redirectUris: [REDIRECT] });
    passwordOnly = await server.client({ type: 'public', grants: ['password'], redirectUris: [REDIRECT] });
    twoRedirects = await server.client({ type: 'public', grants: ['authorization_code'], redirectUris: [REDIRECT, 'https://app.example/other'] });
    await server.user('alice', PASSWORD);
    await server.user('bob', 'bob-password-1');
  });

  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  const request = (overrides: Record<string, string | undefined> = {}): string => {
    const params: Record<string, string> = {};
    const all = {
      client_id: spa.id,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'orders',
      state: 'state-123',
      code_challenge: pkce.challenge,
      code_challenge_method: 'S256',
      ...overrides,
    };
    for (const [name, value] of Object.entries(all)) if (value !== undefined) params[name] = value;
    return authorizePath(params);
  };

  /** Signs in on the sign-in page a request led to; returns the answer to the sign-in form. */
  async function signIn(browser: TestBrowser, page: PageResponse, username = 'alice', password = PASSWORD): Promise<PageResponse> {
    assert.equal(page.status, 200);
    assert.match(page.html, /<h1>Sign in<\/h1>/);
    return browser.submit(page, { username, password });
  }

  async function audit(): Promise<AuditRecord[]> {
    await server.app.ctx.audit.flush();
    return server.app.store.listAudit({ limit: 1000 });
  }

  describe('RFC 6749 §4.1.2.1: a bad client or redirect URI gets an error page, never a redirect', () => {
    for (const [label, path] of [
      ['no client_id', () => request({ client_id: undefined })],
      ['an unknown client', () => request({ client_id: 'no-such-client' })],
      ['a redirect URI that is not registered', () => request({ redirect_uri: 'https://evil.example/callback' })],
      ['a registered redirect URI with something appended', () => request({ redirect_uri: `${REDIRECT}/more` })],
      ['a registered redirect URI with a query added', () => request({ redirect_uri: `${REDIRECT}?next=/` })],
      ['no redirect URI, for a client with two', () => request({ client_id: twoRedirects.id, redirect_uri: undefined })],
      ['a repeated client_id', () => `${request()}&client_id=${spa.id}`],
    ] as const) {
      test(label, async () => {
        const page = await new TestBrowser(server.url).get(path());
        assert.equal(page.status, 400);
        assert.equal(page.location, null, 'no redirect');
        assert.match(page.headers.get('content-type') ?? '', /^text\/html; charset=utf-8/);
        assert.match(page.html, /<h1>This request cannot be completed<\/h1>/);
      });
    }

    test('a disabled client gets the page too', async () => {
      const client = await server.client({ type: 'public', grants: ['authorization_code'], redirectUris: [REDIRECT], enabled: false });
      const page = await new TestBrowser(server.url).get(request({ client_id: client.id }));
      assert.equal(page.status, 400);
      assert.equal(page.location, null);
    });

    test('RFC 8252 §7.3: a loopback IP redirect matches on any port, nothing else about it may differ', async () => {
      const ok = await new TestBrowser(server.url).get(request({ redirect_uri: 'http://127.0.0.1:51004/native' }));
      assert.equal(ok.status, 200, 'the sign-in page');
      for (const other of ['http://127.0.0.1:51004/other', 'http://localhost:51004/native', 'http://127.0.0.2:51004/native']) {
        const refused = await new TestBrowser(server.url).get(request({ redirect_uri: other }));
        assert.equal(refused.status, 400, other);
        assert.equal(refused.location, null, other);
      }
    });

    test('RFC 6749 §3.1.2.3: no redirect URI, for a client with one, means that one', async () => {
      const client = await server.client({ type: 'public', grants: ['authorization_code'], redirectUris: [REDIRECT] });
      const answer = await new TestBrowser(server.url).get(request({ client_id: client.id, redirect_uri: undefined, response_type: 'token' }));
      assert.equal(answer.status, 303);
      assert.ok(answer.location!.startsWith(`${REDIRECT}?`));
    });
  });

  describe('RFC 6749 §4.1.2.1: every other error goes back to the client with state and iss (RFC 9207)', () => {
    const expectError = async (path: string, error: string, description?: RegExp) => {
      const answer = await new TestBrowser(server.url).get(path);
      assert.equal(answer.status, 303, path);
      assert.ok(answer.location!.startsWith(`${REDIRECT}?`));
      const params = redirectParams(answer.location);
      assert.equal(params.error, error);
      assert.equal(params.state, 'state-123');
      assert.equal(params.iss, server.url);
      assert.equal(params.code, undefined);
      if (description) assert.match(params.error_description ?? '', description);
      return params;
    };

    test('RFC 9700 §2.1.2: response_type=token and id_token are unsupported (no implicit grant)', async () => {
      await expectError(request({ response_type: 'token' }), 'unsupported_response_type');
      await expectError(request({ response_type: 'id_token' }), 'unsupported_response_type');
      await expectError(request({ response_type: 'code id_token' }), 'unsupported_response_type');
    });

    test('a missing response_type, a repeated parameter, a response_mode other than query are invalid_request', async () => {
      await expectError(request({ response_type: undefined }), 'invalid_request');
      await expectError(`${request()}&scope=profile`, 'invalid_request', /scope must not be repeated/);
      await expectError(request({ response_mode: 'fragment' }), 'invalid_request');
    });

    test('a client not registered for the grant is unauthorized_client; a scope it lacks is invalid_scope', async () => {
      await expectError(request({ client_id: passwordOnly.id }), 'unauthorized_client');
      await expectError(request({ scope: 'orders admin' }), 'invalid_scope');
    });

    test('RFC 7636 §4.4.1: a public client without PKCE is refused', async () => {
      await expectError(request({ code_challenge: undefined, code_challenge_method: undefined }), 'invalid_request', /PKCE is required/);
    });

    test('RFC 9700 §2.1.1: plain PKCE is refused, also when the method is left out (RFC 7636 §4.3: then it means plain)', async () => {
      await expectError(request({ code_challenge_method: 'plain' }), 'invalid_request', /S256/);
      await expectError(request({ code_challenge_method: undefined }), 'invalid_request', /S256/);
      await expectError(request({ code_challenge: 'too-short' }), 'invalid_request', /43 base64url/);
    });

    test('a confidential client may leave PKCE out, unless require_pkce is set', async () => {
      const path = request({ client_id: confidential.id, code_challenge: undefined, code_challenge_method: undefined });
      assert.equal((await new TestBrowser(server.url).get(path)).status, 200);
      await updateSettings(server.app.store, { requirePkce: true }, server.clock);
      server.app.ctx.settings.invalidate();
      try {
        await expectError(path, 'invalid_request', /PKCE is required/);
      } finally {
        await updateSettings(server.app.store, { requirePkce: false }, server.clock);
        server.app.ctx.settings.invalidate();
      }
    });

    test('OpenID Connect Core §3.1.2.1: malformed prompt and max_age are invalid_request', async () => {
      await expectError(request({ prompt: 'none login' }), 'invalid_request');
      await expectError(request({ prompt: 'sometimes' }), 'invalid_request');
      await expectError(request({ max_age: '-1' }), 'invalid_request');
    });

    test('without state, the error carries none', async () => {
      const answer = await new TestBrowser(server.url).get(request({ state: undefined, response_type: 'token' }));
      assert.deepEqual(Object.keys(redirectParams(answer.location)).sort(), ['error', 'error_description', 'iss']);
    });
  });

  describe('sign in, approve, redirect with code, state and iss', () => {
    test('the whole flow; the approval page names the client and describes the scopes', async () => {
      const browser = new TestBrowser(server.url);
      const first = await browser.get(request({ scope: 'orders profile' }));
      assert.match(first.html, /to continue to <strong>Shop<\/strong>/);
      const approval = await signIn(browser, first);
      assert.equal(approval.status, 200);
      assert.match(approval.html, /<strong>Shop<\/strong> wants to access your account/);
      assert.match(approval.html, /Signed in as <strong>alice<\/strong>/);
      assert.match(approval.html, /Read and place your orders/);
      assert.match(approval.html, /<code>profile<\/code>/);
      const answer = await browser.submit(approval, { decision: 'approve' });
      assert.equal(answer.status, 303);
      const params = redirectParams(answer.location);
      assert.match(params.code ?? '', /^[A-Za-z0-9_-]{43}$/, '256 random bits');
      assert.equal(params.state, 'state-123');
      assert.equal(params.iss, server.url);
      server.secrets.add(params.code!);

      const types = (await audit()).filter((record) => record.username === 'alice').map((record) => record.type);
      for (const type of ['login.succeeded', 'consent.granted', 'code.issued'] as const) assert.ok(types.includes(type), type);
    });

    test('remembered consent skips the approval page; a scope not yet approved asks again', async () => {
      await server.user('carol', 'carol-password-1');
      const browser = new TestBrowser(server.url);
      const approval = await signIn(browser, await browser.get(request()), 'carol', 'carol-password-1');
      assert.equal(redirectParams((await browser.submit(approval, { decision: 'approve' })).location).error, undefined);
      const again = await browser.get(request());
      assert.equal(again.status, 303, 'signed in and approved: straight back with a code');
      assert.ok(redirectParams(again.location).code);
      const wider = await browser.get(request({ scope: 'orders profile' }));
      assert.equal(wider.status, 200);
      assert.match(wider.html, /wants to access your account/);
    });

    test('deny answers access_denied to the client', async () => {
      const browser = new TestBrowser(server.url);
      const approval = await signIn(browser, await browser.get(request({ client_id: twoRedirects.id, scope: undefined })), 'bob', 'bob-password-1');
      const answer = await browser.submit(approval, { decision: 'deny' });
      const params = redirectParams(answer.location);
      assert.equal(params.error, 'access_denied');
      assert.equal(params.state, 'state-123');
      assert.equal(params.iss, server.url);
      assert.equal(params.code, undefined);
    });

    test('consent: skip never asks; always asks every time', async () => {
      const skip = await server.client({ type: 'public', grants: ['authorization_code'], redirectUris: [REDIRECT], consent: 'skip' });
      const always = await server.client({ type: 'public', grants: ['authorization_code'], redirectUris: [REDIRECT], consent: 'always' });
      const browser = new TestBrowser(server.url);
      const signedIn = await signIn(browser, await browser.get(request({ client_id: skip.id, scope: undefined })));
      assert.equal(signedIn.status, 303, 'skip: the code right after the sign-in');
      assert.ok(redirectParams(signedIn.location).code);
      for (let round = 0; round < 2; round++) {
        const page = await browser.get(request({ client_id: always.id, scope: undefined }));
        assert.match(page.html, /wants to access your account/, `round ${round}`);
        assert.equal((await browser.submit(page, { decision: 'approve' })).status, 303);
      }
    });

    test('Integration Server\'s alias /invoke/pub.oauth/authorize is the same endpoint, and its forms post back to it', async () => {
      const page = await new TestBrowser(server.url).get(request().replace('/oauth/authorize', '/invoke/pub.oauth/authorize'));
      assert.equal(page.status, 200);
      assert.match(page.html, /<form method="post" action="\/invoke\/pub\.oauth\/authorize">/);
    });

    test('another method is refused with Allow: GET, POST, as a page', async () => {
      const answer = await fetch(`${server.url}/oauth/authorize`, { method: 'PUT' });
      assert.equal(answer.status, 400);
      assert.equal(answer.headers.get('allow'), 'GET, POST');
      assert.match(answer.headers.get('content-type') ?? '', /^text\/html/);
      assert.match(await answer.text(), /use GET or POST/);
    });

    test('the sign-in page offers login_hint as the username', async () => {
      const page = await new TestBrowser(server.url).get(request({ login_hint: 'carol' }));
      assert.match(page.html, /<input id="username" name="username" type="text" autocomplete="username" value="carol"/);
    });
  });

  describe('OpenID Connect Core §3.1.2.1: prompt and max_age', () => {
    let browser: TestBrowser;
    before(async () => {
      await server.user('dave', 'dave-password-1');
      browser = new TestBrowser(server.url);
      const approval = await signIn(browser, await browser.get(request()), 'dave', 'dave-password-1');
      await browser.submit(approval, { decision: 'approve' });
    });

    test('prompt=none without a session is login_required; without consent, consent_required', async () => {
      const stranger = await new TestBrowser(server.url).get(request({ prompt: 'none' }));
      assert.equal(redirectParams(stranger.location).error, 'login_required');
      assert.equal(redirectParams(stranger.location).state, 'state-123');
      const unapproved = await browser.get(request({ prompt: 'none', scope: 'orders profile' }));
      assert.equal(redirectParams(unapproved.location).error, 'consent_required');
    });

    test('prompt=none with a session and consent: the code, no page', async () => {
      const answer = await browser.get(request({ prompt: 'none' }));
      assert.ok(redirectParams(answer.location).code);
    });

    test('prompt=login asks for the password again, then does not ask again on the approval form', async () => {
      const page = await browser.get(request({ prompt: 'login consent' }));
      assert.match(page.html, /<h1>Sign in<\/h1>/);
      const approval = await signIn(browser, page, 'dave', 'dave-password-1');
      assert.match(approval.html, /wants to access your account/, 'prompt=consent: the approval page');
      assert.equal(hiddenFields(approval.html).prompt, 'consent', 'login has done its work');
      const answer = await browser.submit(approval, { decision: 'approve' });
      assert.ok(redirectParams(answer.location).code);
    });

    test('max_age=0 is prompt=login, even right after a sign-in', async () => {
      const page = await browser.get(request({ max_age: '0' }));
      assert.match(page.html, /<h1>Sign in<\/h1>/);
    });

    test('max_age: a sign-in older than it asks again', async () => {
      assert.equal((await browser.get(request({ max_age: '3600' }))).status, 303);
      server.clock.advance(30);
      const page = await browser.get(request({ max_age: '10' }));
      assert.match(page.html, /<h1>Sign in<\/h1>/);
      const answer = await signIn(browser, page, 'dave', 'dave-password-1');
      assert.ok(redirectParams(answer.location).code, 'remembered consent: straight back');
    });
  });

  describe('the sign-in form: the password grant\'s checks, throttle and audit', () => {
    test('a wrong password shows the error next to the field; the same text for an unknown user', async () => {
      const browser = new TestBrowser(server.url);
      const wrong = await signIn(browser, await browser.get(request()), 'alice', 'not-her-password');
      assert.equal(wrong.status, 400);
      assert.equal(problemText(wrong.html), 'Wrong username or password.');
      assert.match(wrong.html, /id="password"[^>]*aria-invalid="true" aria-describedby="problem"/);
      assert.match(wrong.html, /value="alice"/, 'the username is kept');
      const unknown = await browser.submit(wrong, { username: 'nobody-here', password: 'whatever-1' });
      assert.equal(problemText(unknown.html), 'Wrong username or password.');
      server.secrets.add('not-her-password');
      const failures = (await audit()).filter((record) => record.type === 'login.failed' && record.clientId === spa.id);
      assert.ok(failures.some((record) => record.username === 'alice' && record.reason === 'wrong_password'));
    });

    test('repeated wrong passwords are throttled like the password grant: 429 with the wait, before any hash', async () => {
      const browser = new TestBrowser(server.url);
      await server.user('throttled-user', 'right-password-1');
      let page = await browser.get(request());
      for (let attempt = 0; attempt < 3; attempt++) {
        page = await browser.submit(page, { username: 'throttled-user', password: `guess-${attempt}` });
        assert.equal(page.status, 400);
      }
      const hashes = server.hasher.verifies + server.hasher.dummyVerifies;
      const throttled = await browser.submit(page, { username: 'throttled-user', password: 'right-password-1' });
      assert.equal(throttled.status, 429);
      const wait = Number(throttled.headers.get('retry-after'));
      assert.ok(wait >= 1);
      assert.equal(problemText(throttled.html), `Too many failed attempts. Wait ${Math.ceil(wait / 60)} minutes, then try again.`, 'a 300 s block');
      assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashes, 'no password hash ran');
      assert.ok((await audit()).some((record) => record.type === 'login.throttled' && record.username === 'throttled-user'));
      // The password grant sees the same counters.
      const grant = await fetch(`${server.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'password', client_id: passwordOnly.id, username: 'throttled-user', password: 'right-password-1' }),
      });
      assert.equal(grant.status, 429);
    });

    test('a client not allowed the grant never gets to a password check (no oracle)', async () => {
      const hashes = server.hasher.verifies + server.hasher.dummyVerifies;
      const browser = new TestBrowser(server.url);
      const page = await browser.get(request());
      const answer = await browser.post('/oauth/authorize', { ...hiddenFields(page.html), client_id: passwordOnly.id, username: 'alice', password: PASSWORD });
      assert.equal(redirectParams(answer.location).error, 'unauthorized_client');
      assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashes);
    });

    test('a password in the query string of a GET is never read', async () => {
      const hashes = server.hasher.verifies + server.hasher.dummyVerifies;
      const page = await new TestBrowser(server.url).get(request({ step: 'credentials', username: 'alice', password: PASSWORD }));
      assert.match(page.html, /<h1>Sign in<\/h1>/);
      assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashes);
    });
  });

  describe('CSRF protection and framing (RFC 6749 §10.12, §10.13)', () => {
    test('the approval form without its CSRF token, or with another session\'s, is refused with a page', async () => {
      const browser = new TestBrowser(server.url);
      const approval = await signIn(browser, await browser.get(request({ client_id: twoRedirects.id, scope: undefined })), 'bob', 'bob-password-1');
      const fields = hiddenFields(approval.html);
      const { csrf_token: token, ...withoutToken } = fields;
      const missing = await browser.post('/oauth/authorize', { ...withoutToken, decision: 'approve' });
      assert.equal(missing.status, 403);
      assert.equal(missing.location, null, 'no redirect, no code');
      assert.match(missing.html, /This form has expired/);

      const other = new TestBrowser(server.url);
      const otherApproval = await signIn(other, await other.get(request({ client_id: twoRedirects.id, scope: undefined })), 'bob', 'bob-password-1');
      const crossed = await browser.post('/oauth/authorize', { ...fields, csrf_token: hiddenFields(otherApproval.html).csrf_token!, decision: 'approve' });
      assert.equal(crossed.status, 403);
      assert.ok(token);
      assert.equal((await browser.post('/oauth/authorize', { ...fields, decision: 'approve' })).status, 303, 'the right token passes');
    });

    test('the sign-in form without the browser\'s CSRF cookie (another site posting it) is refused before any hash', async () => {
      const page = await new TestBrowser(server.url).get(request());
      const hashes = server.hasher.verifies + server.hasher.dummyVerifies;
      const forged = await new TestBrowser(server.url).submit(page, { username: 'alice', password: PASSWORD });
      assert.equal(forged.status, 403);
      assert.equal(forged.location, null);
      assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashes);
    });

    test('every page forbids framing, caching and outside resources', async () => {
      const browser = new TestBrowser(server.url);
      const pages = [await browser.get(request()), await new TestBrowser(server.url).get(request({ client_id: 'unknown' }))];
      pages.push(await signIn(browser, pages[0]!, 'bob', 'bob-password-1'));
      for (const page of pages) {
        const csp = page.headers.get('content-security-policy') ?? '';
        assert.match(csp, /frame-ancestors 'none'/);
        assert.match(csp, /default-src 'none'/);
        assert.doesNotMatch(csp, /unsafe-inline|script-src/, 'no script at all');
        assert.equal(page.headers.get('x-frame-options'), 'DENY');
        assert.equal(page.headers.get('cache-control'), 'no-store');
        assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      }
      assert.match(pages[0]!.headers.get('content-security-policy')!, /form-action 'self' https:\/\/app\.example(;|$)/, 'forms lead only here and to the client');
    });
  });

  describe('Require-HTTPS (docs/security.md)', () => {
    let proxied: TestServer;
    let client: { id: string };
    before(async () => {
      proxied = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: 'loopback' } });
      client = await proxied.client({ type: 'public', grants: ['authorization_code'], redirectUris: [REDIRECT] });
    });
    after(() => proxied.close());

    test('plain HTTP from a remote address gets a page, not a redirect; HTTPS (via a trusted proxy) gets the sign-in page', async () => {
      const path = request({ client_id: client.id, scope: undefined });
      const plain = await new TestBrowser(proxied.url, { 'x-forwarded-for': '203.0.113.7' }).get(path);
      assert.equal(plain.status, 400);
      assert.equal(plain.location, null);
      assert.match(plain.html, /HTTPS is required/);
      const secure = await new TestBrowser(proxied.url, { 'x-forwarded-for': '203.0.113.7', 'x-forwarded-proto': 'https' }).get(path);
      assert.equal(secure.status, 200);
      assert.match(secure.headers.get('strict-transport-security') ?? '', /max-age=/);
    });
  });
});
