import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium, signInToConsole } from '../helpers/chromium.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';

const SCREENSHOTS = join('test-output', 'screenshots');
const withChromium = requireChromium('sign-in and approval pages in a browser');

/** A relying party's callback: a loopback server that only records where the browser was sent. */
async function startCallback(): Promise<{ server: Server; url: string }> {
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>Back at the app</title><p>Back at the app.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback` };
}

/**
 * The authorization code flow as a person and a real relying party go through it: Chromium on the
 * sign-in and approval pages of a real server, openid-client (a certified RP library) building the
 * request and redeeming the code with PKCE. The steps share one browser and one server and run in
 * order; each person has their own browser context (their own cookies).
 */
describe('sign-in and approval pages in a browser, with openid-client as the application', { skip: !withChromium }, () => {
  let server: TestServer;
  let browser: Browser;
  let callback: { server: Server; url: string };
  let config: oidc.Configuration;
  let clientId: string;
  const contexts: BrowserContext[] = [];

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  async function person(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    return context.newPage();
  }

  /** What the application does to start a sign-in: a fresh state and PKCE pair, and the URL to send the browser to. */
  async function start(extra: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callback.url,
      scope: 'orders',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...extra,
    });
    return { url: url.href, verifier, state };
  }

  const backAtTheApp = (page: Page) => page.waitForURL((url) => url.href.startsWith(callback.url));

  /** The application's end: openid-client checks state and iss and redeems the code with the verifier. */
  async function redeem(page: Page, flow: { verifier: string; state: string }) {
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
    server.secrets.add(tokens.access_token);
    if (tokens.refresh_token) server.secrets.add(tokens.refresh_token);
    return tokens;
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer({ env: { PORTCULLIS_THROTTLE_USER_IP_FAILURES: '3' } });
    callback = await startCallback();
    await server.app.store.saveScope({ name: 'orders', description: 'See and place your orders', resources: ['orders'] });
    const client = await server.client({
      name: 'Shop',
      type: 'public',
      grants: ['authorization_code', 'refresh_token'],
      scopes: ['orders'],
      // RFC 8252 §7.3: registered without a port, the callback's port is whatever was free.
      redirectUris: ['http://127.0.0.1/callback'],
    });
    clientId = client.id;
    await server.user('alice', 'alice-password-1');
    await server.user('bob', 'bob-password-1');
    await server.user('carol', 'carol-password-1');
    server.secrets.add('wrong-password-1');
    // RFC 8414 metadata (algorithm oauth2); plain HTTP is fine on loopback, as the server's own rule says.
    config = await oidc.discovery(new URL(server.url), clientId, undefined, oidc.None(), { algorithm: 'oauth2', execute: [oidc.allowInsecureRequests] });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    callback?.server.close();
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server?.close();
  });

  test('sign in and approve by keyboard alone; the redirect carries code, state and iss; openid-client redeems it with PKCE', async () => {
    const page = await person();
    const flow = await start();
    await page.goto(flow.url);
    await shot(page, 'sign-in');
    // The page starts in the username field, and Tab goes username → password → the button.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'username');
    await page.keyboard.type('alice');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password');
    await page.keyboard.type('alice-password-1');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Sign in');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused control is visibly marked');
    await page.keyboard.press('Enter');

    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();
    assert.ok(await page.getByText('See and place your orders').isVisible());
    await shot(page, 'approval');
    await page.getByRole('button', { name: 'Allow' }).focus();
    await page.keyboard.press('Enter');
    await backAtTheApp(page);

    const returned = new URL(page.url()).searchParams;
    assert.ok(returned.get('code'));
    assert.equal(returned.get('state'), flow.state);
    assert.equal(returned.get('iss'), server.url);
    server.secrets.add(returned.get('code')!);
    const tokens = await redeem(page, flow);
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.equal(tokens.scope, 'orders');
    assert.ok(tokens.refresh_token, 'the client may refresh');
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
    server.secrets.add(refreshed.access_token);
    server.secrets.add(refreshed.refresh_token!);

    const cookie = (await page.context().cookies()).find((candidate) => candidate.name === 'portcullis-session')!;
    server.secrets.add(cookie.value);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Lax');
    assert.equal(cookie.path, '/');
    assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie of the server is visible to scripts');
  });

  test('remembered consent: the next sign-in of the same browser goes straight back with a code', async () => {
    const page = contexts[0]!.pages()[0]!;
    const flow = await start();
    await page.goto(flow.url);
    await backAtTheApp(page);
    assert.ok((await redeem(page, flow)).access_token);
  });

  test('prompt=login asks for the password again', async () => {
    const page = contexts[0]!.pages()[0]!;
    const flow = await start({ prompt: 'login' });
    await page.goto(flow.url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await backAtTheApp(page);
    assert.ok((await redeem(page, flow)).access_token);
  });

  test('a wrong password shows an error tied to the field, and is throttled like the password grant', async () => {
    const page = await person();
    await page.goto((await start()).url);
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.getByLabel('Username').fill('carol');
      await page.getByLabel('Password').fill('wrong-password-1');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor();
    }
    const password = page.getByLabel('Password');
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    assert.equal(await password.getAttribute('aria-describedby'), 'problem');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'focus returns to the field at fault');
    await shot(page, 'sign-in-wrong-password');

    const hashes = server.hasher.verifies + server.hasher.dummyVerifies;
    await page.getByLabel('Username').fill('carol');
    await password.fill('carol-password-1');
    const answer = page.waitForResponse((response) => response.request().method() === 'POST');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const throttled = await answer;
    assert.equal(throttled.status(), 429);
    assert.ok(Number(throttled.headers()['retry-after']) >= 1);
    await page.getByRole('alert').filter({ hasText: /Too many failed attempts\. Wait \d+ (seconds?|minutes), then try again\./ }).waitFor();
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashes, 'no password hash ran');
    await shot(page, 'sign-in-throttled');
  });

  test('deny returns access_denied to the application', async () => {
    const page = await person();
    const flow = await start();
    await page.goto(flow.url);
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill('bob-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Deny' }).click();
    await backAtTheApp(page);
    const returned = new URL(page.url()).searchParams;
    assert.equal(returned.get('error'), 'access_denied');
    assert.equal(returned.get('state'), flow.state);
    assert.equal(returned.get('iss'), server.url);
    await assert.rejects(redeem(page, flow), (error: unknown) => {
      assert.ok(error instanceof oidc.AuthorizationResponseError);
      assert.equal(error.error, 'access_denied');
      return true;
    });
  });

  test('at phone width the pages fit the screen', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto((await start()).url);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
    await shot(page, 'sign-in-phone');
    await page.getByLabel('Username').fill('bob');
    await page.getByLabel('Password').fill('bob-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
    await shot(page, 'approval-phone');
  });

  test('the admin console shows alice\'s session and consent; withdrawing the consent brings the approval page back', async () => {
    const admin = await person();
    await signInToConsole(admin, server.url);
    await admin.goto(`${server.url}/admin/#/users/alice`);
    await admin.locator('#sessions-table tbody tr td', { hasText: '127.0.0.1' }).waitFor();
    await admin.locator(`#user-consents-table td a[href="#/clients/${clientId}"]`, { hasText: 'Shop' }).waitFor();
    await shot(admin, 'console-user-sessions');
    await admin.locator('#user-consents-table button', { hasText: 'Withdraw' }).click();
    await admin.locator('.modal button.danger', { hasText: 'Withdraw' }).click();
    await admin.locator('#user-consents-table td', { hasText: 'No client approved yet.' }).waitFor();
    for (const cookie of await admin.context().cookies()) server.secrets.add(cookie.value);

    const page = contexts[0]!.pages()[0]!;
    await page.goto((await start()).url);
    await page.getByRole('heading', { name: 'Allow access?' }).waitFor();

    await admin.locator('#sessions-table button', { hasText: 'End' }).first().click();
    await admin.locator('.modal button.danger', { hasText: 'End' }).click();
    await admin.locator('#sessions-table td', { hasText: 'Not signed in anywhere.' }).waitFor();
    await page.goto((await start()).url);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });
});
