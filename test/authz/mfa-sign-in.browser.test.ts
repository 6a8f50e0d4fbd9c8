import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
// An independent TOTP implementation (RFC 6238): not the library the server uses.
import { generateSync } from 'otplib';
import { type Browser, chromium, type Page } from 'playwright-core';
import { systemClock } from '../../src/core/clock.ts';
import { createGroup } from '../../src/manage/groups.ts';
import { enrolUserMfa } from '../../src/manage/mfa.ts';
import { updateSettings } from '../../src/manage/settings.ts';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium, signInToConsole } from '../helpers/chromium.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorizePath, pkcePair } from '../helpers/sign-in.ts';

const SCREENSHOTS = join('test-output', 'screenshots');
const withChromium = requireChromium('second factor on the sign-in page and in the console');

/**
 * docs/mfa.md "Sign-in page" and "Console": a person in Chromium signs in with a password and then a
 * TOTP code (enrolling first where the policy requires it), and an administrator enrols a user in the
 * console, whose QR code is shown. Codes are computed with otplib, not the server's library.
 */
describe('second factor on the sign-in page and in the console', { skip: !withChromium }, () => {
  let server: TestServer;
  let browser: Browser;
  let callback: { server: Server; url: string };
  let clientId: string;

  const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const otpNow = (secret: string) => generateSync({ secret, epoch: server.clock.nowSeconds() });

  async function person(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    return context.newPage();
  }

  async function startSignIn(page: Page): Promise<string> {
    const { verifier, challenge } = pkcePair();
    await page.goto(
      `${server.url}${authorizePath({ response_type: 'code', client_id: clientId, redirect_uri: callback.url, scope: 'orders', state: 's1', code_challenge: challenge, code_challenge_method: 'S256' })}`,
    );
    return verifier;
  }

  async function password(page: Page, username: string, secret: string) {
    await page.fill('#username', username);
    await page.fill('#password', secret);
    await page.click('button[type=submit]');
  }

  async function redeem(page: Page, verifier: string) {
    await page.waitForURL((url) => url.href.startsWith(callback.url));
    const code = new URL(page.url()).searchParams.get('code')!;
    const tokens = await postForm(`${server.url}/oauth/token`, { grant_type: 'authorization_code', code, redirect_uri: callback.url, client_id: clientId, code_verifier: verifier }, { secrets: server.secrets });
    assert.equal(tokens.status, 200, tokens.text);
  }

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    server = await startTestServer();
    const callbackServer = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>Back at the app</title><p>Back at the app.</p>');
    });
    await new Promise<void>((resolve) => callbackServer.listen(0, '127.0.0.1', resolve));
    callback = { server: callbackServer, url: `http://127.0.0.1:${(callbackServer.address() as AddressInfo).port}/callback` };
    await server.app.store.saveScope({ name: 'orders', description: 'See and place your orders', resources: ['orders'] });
    const client = await server.client({
      name: 'Shop',
      type: 'public',
      grants: ['authorization_code', 'refresh_token'],
      scopes: ['orders'],
      redirectUris: ['http://127.0.0.1/callback'],
      consent: 'skip',
    });
    clientId = client.id;
    await createGroup(server.app.store, 'staff', server.clock);
    await updateSettings(server.app.store, { mfaPolicy: 'required', mfaRequiredGroups: ['staff'] }, server.clock);
    await server.user('dora', 'dora-password-1', ['staff']);
    await server.user('ed', 'ed-password-1', ['staff']);
    await server.user('fran', 'fran-password-1');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  });

  after(async () => {
    await browser?.close();
    callback?.server.close();
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  test('a user the policy requires, without a factor, enrols on the sign-in page and continues with a code', async () => {
    const page = await person();
    const verifier = await startSignIn(page);
    await password(page, 'dora', 'dora-password-1');
    await page.locator('h1', { hasText: 'Set up your authenticator' }).waitFor();
    assert.equal(await page.locator('.qr svg').count(), 1, 'the QR code is drawn inline');
    assert.equal(await page.locator('#recovery-codes li').count(), 10);
    await shot(page, 'mfa-enrol');
    const secret = (await page.locator('#totp-secret').textContent())!;
    server.secrets.add(secret);
    await page.fill('#otp', otpNow(secret));
    await page.click('button[type=submit]');
    await redeem(page, verifier);
    const [session] = await server.app.store.listLoginSessions('dora');
    assert.deepEqual(session!.amr, ['pwd', 'otp', 'mfa'], 'RFC 8176: a password and a one-time password');
    assert.equal((await server.app.store.findMfaFactor('dora'))!.confirmedAt !== null, true, 'the first code confirmed the enrolment');
  });

  test('an enrolled user is asked for the code after the password; a wrong code is refused on the page', async () => {
    const { secret } = await enrolUserMfa(server.app.store, server.app.ctx.secretBox, 'ed', server.url, systemClock);
    server.secrets.add(secret);
    const page = await person();
    const verifier = await startSignIn(page);
    await password(page, 'ed', 'ed-password-1');
    await page.locator('h1', { hasText: 'Two-step verification' }).waitFor();
    assert.equal(await page.locator('#recovery-codes').count(), 0, 'no enrolment for an enrolled user');
    await shot(page, 'mfa-code');
    const right = otpNow(secret);
    await page.fill('#otp', right === '000000' ? '111111' : '000000');
    await page.click('button[type=submit]');
    await page.locator('#problem', { hasText: 'one-time password is wrong' }).waitFor();
    assert.equal(await page.locator('#otp').getAttribute('aria-invalid'), 'true');
    await shot(page, 'mfa-code-wrong');
    await page.fill('#otp', right);
    await page.click('button[type=submit]');
    await redeem(page, verifier);
  });

  test('a user outside the policy signs in with the password alone', async () => {
    const page = await person();
    const verifier = await startSignIn(page);
    await password(page, 'fran', 'fran-password-1');
    await redeem(page, verifier);
    const [session] = await server.app.store.listLoginSessions('fran');
    assert.deepEqual(session!.amr, ['pwd']);
  });

  test("the console enrols a user's authenticator, shows its QR code, and resets it", async () => {
    const page = await person();
    await signInToConsole(page, server.url);
    await page.goto(`${server.url}/admin/#/users/fran`);
    await page.locator('#mfa-status', { hasText: 'No second factor.' }).waitFor();
    await page.click('button:has-text("Enrol authenticator")');
    await page.locator('#mfa-qr').waitFor();
    assert.match((await page.locator('#mfa-qr').getAttribute('src'))!, /^data:image\/png;base64,/);
    assert.equal(await page.locator('#mfa-recovery-codes li').count(), 10);
    const secret = (await page.locator('#mfa-secret').textContent())!;
    server.secrets.add(secret);
    await page.locator('#mfa').scrollIntoViewIfNeeded();
    await shot(page, 'console-mfa-enrol');
    // The secret shown works: fran, outside the required group, is asked now that she is enrolled.
    const shop = await server.client({ name: 'ropc', grants: ['password'], scopes: ['orders'] });
    const login = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'fran', password: 'fran-password-1', otp: otpNow(secret) }, { basic: [shop.id, shop.secret!], secrets: server.secrets });
    assert.equal(login.status, 200, login.text);

    await page.click('button:has-text("Done")');
    await page.locator('#mfa-status', { hasText: 'Enrolled (TOTP)' }).waitFor();
    await page.click('button:has-text("Reset second factor")');
    await page.locator('[role=dialog] button.danger').click();
    await page.locator('#mfa-status', { hasText: 'No second factor.' }).waitFor();
    assert.equal(await server.app.store.findMfaFactor('fran'), undefined);

    // The policy on the Settings page: required for the staff group.
    await page.goto(`${server.url}/admin/#/settings`);
    await page.locator('#settings-mfa-policy').waitFor();
    assert.equal(await page.locator('#settings-mfa-policy').inputValue(), 'required');
    assert.equal(await page.locator('#settings-mfa-groups input[value=staff]').isChecked(), true);
    await page.locator('#settings-mfa-policy').scrollIntoViewIfNeeded();
    await shot(page, 'console-mfa-policy');
    await page.selectOption('#settings-mfa-policy', 'optional');
    await page.click('button:has-text("Save settings")');
    await page.locator('.notice', { hasText: 'Settings saved' }).waitFor();
    assert.equal((await server.app.store.getSettings()).mfaPolicy, 'optional');
  });
});
