import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ADMIN_PASSWORD } from '../helpers/admin.ts';
import { CHROMIUM, CHROMIUM_ARGS, requireChromium } from '../helpers/chromium.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

const SCREENSHOTS = join('test-output', 'screenshots');

const withChromium = requireChromium('admin console in a browser');

/**
 * The console, driven in headless Chromium (Debian's /usr/bin/chromium) against a real server.
 * The steps share one browser and run in order, as an operator would click through.
 */
describe('admin console in a browser', { skip: !withChromium }, () => {
  let server: TestServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const client: { id?: string; secret?: string } = {};
  let accessToken: string;

  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const goTo = async (hash: string, heading: string) => {
    await page.goto(`${server.url}/admin/${hash}`);
    await page.locator('h2', { hasText: heading }).first().waitFor();
  };

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    // A small (username, address) budget, so that throttling shows after a few wrong passwords.
    server = await startTestServer({ env: { PORTCULLIS_THROTTLE_USER_IP_FAILURES: '3' } });
    await server.user('second-admin', 'second-admin-password', ['Administrators']);
    server.secrets.add('not-the-password');
    profile = mkdtempSync(join(tmpdir(), 'portcullis-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
      viewport: { width: 1280, height: 860 },
    });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  test('a wrong administrator password is refused', async () => {
    await page.goto(`${server.url}/admin/`);
    await page.fill('#login-username', 'Administrator');
    await page.fill('#login-password', 'not-the-password');
    await page.click('button[type=submit]');
    await page.locator('.form-error', { hasText: 'wrong username or password' }).waitFor();
    await shot('login-refused');
    assert.equal(await page.locator('nav').count(), 0, 'still on the sign-in page');
  });

  test('a wrong admin password is refused and, repeated, throttled before any hash runs', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      await page.fill('#login-username', 'second-admin');
      await page.fill('#login-password', 'not-the-password');
      const answer = page.waitForResponse((response) => response.url().endsWith('/admin/api/session'));
      await page.click('button[type=submit]');
      assert.equal((await answer).status(), 401);
      await page.locator('.form-error', { hasText: 'wrong username or password' }).waitFor();
    }
    const hashes = server.hasher.verifies + server.hasher.dummyVerifies;
    // Now even the right password waits: the throttle answers before the password is looked at.
    await page.fill('#login-username', 'second-admin');
    await page.fill('#login-password', 'second-admin-password');
    const answer = page.waitForResponse((response) => response.url().endsWith('/admin/api/session'));
    await page.click('button[type=submit]');
    const throttled = await answer;
    assert.equal(throttled.status(), 429);
    assert.ok(Number(throttled.headers()['retry-after']) >= 1);
    await page.locator('.form-error', { hasText: 'too many failed attempts' }).waitFor();
    assert.equal(server.hasher.verifies + server.hasher.dummyVerifies, hashes, 'no password hash ran');
    assert.equal(await page.locator('nav').count(), 0, 'still on the sign-in page');
    await shot('login-throttled');
  });

  test('an administrator signs in', async () => {
    await page.fill('#login-username', 'Administrator');
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('nav').waitFor();
    const cookies = await context.cookies(`${server.url}/admin/`);
    const session = cookies.find((cookie) => cookie.name === 'portcullis_admin')!;
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    server.secrets.add(session.value);
    assert.equal(await page.evaluate(() => document.cookie), '', 'the session cookie is invisible to scripts');
  });

  test('forms say what is wrong next to the field', async () => {
    await goTo('#/scopes', 'Scopes');
    await page.click('text=New scope');
    await page.fill('#scope-name', 'bad name');
    await page.click('text=Create scope');
    const error = page.locator('#scope-name-error');
    await error.waitFor();
    assert.match((await error.textContent()) ?? '', /scope names/);
    await shot('scope-field-error');
  });

  test('a scope is created; its text is shown as text, never as markup', async () => {
    const markup = '<img src=x onerror="window.injected=1"> orders';
    await page.fill('#scope-name', 'orders');
    await page.fill('#scope-description', markup);
    await page.fill('#scope-resources', 'orders\nGET /rest/orders/{id}');
    await page.click('text=Create scope');
    await page.locator('#scopes-table td a', { hasText: 'orders' }).waitFor();
    assert.equal(await page.locator('#scopes-table td', { hasText: 'onerror' }).textContent(), markup);
    assert.equal(await page.locator('#scopes-table img').count(), 0);
    assert.equal(await page.evaluate(() => (window as unknown as { injected?: number }).injected), undefined);
    await goTo('#/scopes/orders', 'Scope orders');
    await page.fill('#scope-description', 'Read and place orders');
    await page.click('button:has-text("Save")');
    await page.locator('.notice-success').waitFor();
    await goTo('#/scopes', 'Scopes');
    await shot('scopes');
  });

  test('a confidential client with the password grant is registered; its secret is shown once', async () => {
    await goTo('#/clients', 'Clients');
    await page.click('text=Register client');
    await page.fill('#client-name', 'Shop app');
    await page.fill('#client-version', '1.0');
    await page.selectOption('#client-type', 'confidential');
    const warning = page.locator('.notice-warning', { hasText: 'least secure grant' });
    await page.uncheck('#client-grants input[value="password"]');
    assert.equal(await warning.count(), 0);
    await page.check('#client-grants input[value="password"]');
    await warning.waitFor();
    assert.match((await warning.textContent()) ?? '', /password/);
    await page.check('#client-scopes input[value="orders"]');
    await shot('client-register');
    await page.click('button:has-text("Register")');

    const secretBox = page.locator('#client-secret');
    await secretBox.waitFor();
    client.secret = await secretBox.inputValue();
    client.id = (await page.locator('.secret-panel code').textContent()) ?? undefined;
    server.secrets.add(client.secret);
    assert.match(client.secret, /^[A-Za-z0-9_-]{43}$/);
    await page.click('.secret-panel button:has-text("Copy")');
    await page.locator('.secret-panel button', { hasText: 'Copied' }).waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), client.secret);
    await shot('client-secret-once');

    await page.click('text=I have stored it');
    await page.reload();
    await page.locator('#clients-table td a', { hasText: 'Shop app' }).waitFor();
    assert.ok(!(await page.content()).includes(client.secret), 'the secret is not shown again');
    await shot('clients');
  });

  test('the client page shows the password-grant warning', async () => {
    await page.click('#clients-table td a:has-text("Shop app")');
    await page.locator('h2', { hasText: 'Client Shop app' }).waitFor();
    await page.locator('.notice-warning', { hasText: 'least secure grant' }).waitFor();
    await shot('client-detail');
    // A backend that signs its users in may pass their addresses (docs/security.md "Users behind one server").
    assert.equal(await page.isChecked('#client-trusted-for-end-user-address'), false);
    await page.check('#client-trusted-for-end-user-address');
    await page.locator('.notice-warning', { hasText: 'chooses the address' }).waitFor();
    await page.click('button:has-text("Save")');
    await page.locator('.notice-success', { hasText: 'Saved.' }).waitFor();
    assert.equal((await server.app.store.findClient(client.id!))!.trustedForEndUserAddress, true);
    await page.reload();
    await page.locator('h2', { hasText: 'Client Shop app' }).waitFor();
    assert.equal(await page.isChecked('#client-trusted-for-end-user-address'), true);
    await page.uncheck('#client-trusted-for-end-user-address');
    await page.click('button:has-text("Save")');
    await page.locator('.notice-success', { hasText: 'Saved.' }).waitFor();
    assert.equal((await server.app.store.findClient(client.id!))!.trustedForEndUserAddress, false);
  });

  test('a public client for the authorization code grant: redirect URIs are asked for, checked, and kept', async () => {
    await goTo('#/clients', 'Clients');
    await page.click('text=Register client');
    await page.fill('#client-name', 'Shop SPA');
    await page.selectOption('#client-type', 'public');
    await page.uncheck('#client-grants input[value="password"]');
    assert.equal(await page.locator('#client-redirect-uris').count(), 0, 'only asked for with the code grant');
    await page.check('#client-grants input[value="authorization_code"]');
    await page.click('button:has-text("Register")');
    await page.locator('#client-redirect-uris-error', { hasText: 'at least one redirect URI' }).waitFor();
    await page.fill('#client-redirect-uris', 'http://shop.example/callback');
    await page.click('button:has-text("Register")');
    await page.locator('#client-redirect-uris-error', { hasText: 'use https' }).waitFor();
    await page.fill('#client-redirect-uris', 'https://shop.example/callback\nhttp://127.0.0.1/callback');
    await page.selectOption('#client-consent', 'skip');
    await shot('client-register-code-grant');
    await page.click('button:has-text("Register")');
    await page.locator('.notice-success', { hasText: 'Registered public client' }).waitFor();
    const registered = (await server.app.store.listClients()).find((candidate) => candidate.name === 'Shop SPA');
    assert.deepEqual(registered?.redirectUris, ['https://shop.example/callback', 'http://127.0.0.1/callback']);
    assert.equal(registered?.consent, 'skip');
    assert.deepEqual(registered?.grants.sort(), ['authorization_code', 'refresh_token']);
  });

  test('a user is created in a group', async () => {
    await goTo('#/users', 'Users');
    await page.fill('#group-name', 'shoppers');
    await page.click('text=Create group');
    await page.locator('#groups-table td', { hasText: 'shoppers' }).waitFor();
    await page.click('text=New user');
    await page.fill('#user-username', 'erin');
    server.secrets.add('erin-password-1');
    await page.fill('#user-password', 'erin-password-1');
    await page.check('#user-groups input[value="shoppers"]');
    await page.click('button:has-text("Create user")');
    await page.locator('#users-table tr', { hasText: 'erin' }).filter({ hasText: 'shoppers' }).waitFor();
    await shot('users');
  });

  test('tables filter and page', async () => {
    for (let index = 0; index < 11; index++) await server.scope(`extra-${String(index).padStart(2, '0')}`);
    await goTo('#/scopes', 'Scopes');
    await page.locator('.pager', { hasText: 'Page 1 of 2' }).waitFor();
    await page.click('.pager button:has-text("Next")');
    await page.locator('.pager', { hasText: 'Page 2 of 2' }).waitFor();
    // 10 a page: the 11 extra, the test's own and the built-in openid make 13.
    assert.equal(await page.locator('#scopes-table tbody tr').count(), 3);
    await page.fill('#scopes-table-filter', 'extra-1');
    assert.equal(await page.locator('#scopes-table tbody tr').count(), 1);
    assert.equal(await page.locator('.pager').count(), 0);
    await page.fill('#scopes-table-filter', 'nothing-like-this');
    await page.locator('#scopes-table td', { hasText: 'Nothing matches the filter.' }).waitFor();
  });

  test('outside the browser, the client gets a token for the user', async () => {
    const response = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username: 'erin', password: 'erin-password-1', scope: 'orders' },
      { basic: [client.id!, client.secret!], secrets: server.secrets },
    );
    assert.equal(response.status, 200, response.text);
    accessToken = response.body.access_token as string;
  });

  test('the user and client pages show the live grant and the recent events, clients by name', async () => {
    await goTo('#/users/erin', 'User erin');
    const grant = page.locator('#live-grants-table tr', { hasText: 'Shop app 1.0' }).filter({ hasText: 'access' });
    await grant.waitFor();
    assert.match((await grant.textContent()) ?? '', /orders/);
    await page.locator('#recent-events-table code', { hasText: 'token.issued' }).first().waitFor();
    await page.locator('#recent-events-table code', { hasText: 'user.created' }).waitFor();
    await shot('user-activity');
    await goTo(`#/clients/${client.id!}`, 'Client Shop app');
    await page.locator('#live-grants-table tr', { hasText: 'erin' }).first().waitFor();
    await page.locator('#recent-events-table code', { hasText: 'token.issued' }).first().waitFor();
    await shot('client-activity');
    // An empty access-token lifetime means the global default, as an empty refresh limit means unlimited.
    await page.fill('#client-access-ttl', '');
    await page.click('button:has-text("Save")');
    await page.locator('.notice-success', { hasText: 'Saved.' }).waitFor();
    assert.equal((await server.app.store.findClient(client.id!))!.accessTokenTtl, 'global');
  });

  test('the token is listed on the tokens page and revoked there', async () => {
    await goTo('#/tokens', 'Tokens');
    const row = page.locator('#tokens-table tr', { hasText: 'erin' }).filter({ hasText: 'access' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /Shop app/);
    await shot('tokens');
    // The revoked state is not offered: the purge deletes revoked tokens within a minute.
    assert.deepEqual(await page.locator('#tokens-state option').allTextContents(), ['any', 'active', 'expired', 'rotated']);
    await row.locator('button', { hasText: 'Revoke' }).click();
    await page.locator('.modal', { hasText: 'Revoke this grant?' }).waitFor();
    await shot('token-revoke-confirm');
    await page.click('.modal button:has-text("Revoke grant")');
    await page.locator('#tokens-table td', { hasText: 'No tokens match.' }).waitFor();
  });

  test('the deleted token is inactive at /oauth/introspect', async () => {
    const response = await postForm(
      `${server.url}/oauth/introspect`,
      { token: accessToken },
      { basic: [client.id!, client.secret!] },
    );
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { active: false });
  });

  test('the scope page shows and changes its clients (scope side of the association)', async () => {
    await goTo('#/scopes/orders', 'Scope orders');
    const box = page.locator('#scope-clients input[value="Shop app 1.0"]');
    assert.equal(await box.isChecked(), true);
    await shot('scope-detail');
    await box.uncheck();
    await page.click('text=Save associations');
    await page.locator('.notice-success', { hasText: 'associations saved' }).waitFor();
    assert.deepEqual((await server.app.store.findClient(client.id!))!.scopes, []);
    // The page shows the box from the clients it reloads after saving: wait for that before ticking it again.
    await page.waitForFunction(() => !document.querySelector<HTMLInputElement>('#scope-clients input[value="Shop app 1.0"]')?.checked);
    await box.check();
    // The notice of the first save is still shown: wait for the second save's answer instead.
    const saved = page.waitForResponse((response) => response.url().endsWith('/scopes/orders/clients') && response.request().method() === 'PUT');
    await page.click('text=Save associations');
    assert.equal((await saved).status(), 200);
    assert.deepEqual((await server.app.store.findClient(client.id!))!.scopes, ['orders']);
  });

  test('the user page manages groups, password and status', async () => {
    await goTo('#/users/erin', 'User erin');
    await page.fill('#detail-password', 'erin-password-2');
    server.secrets.add('erin-password-2');
    await page.click('button:has-text("Set password")');
    await page.locator('.notice-success', { hasText: 'Password changed' }).waitFor();
    await shot('user-detail');
  });

  test('a state-changing request without the CSRF token is refused', async () => {
    const status = await page.evaluate(async () => {
      const response = await fetch('/admin/api/groups', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'csrf-probe' }),
      });
      return response.status;
    });
    assert.equal(status, 403);
    const groups = (await page.evaluate(() => fetch('/admin/api/groups').then((response) => response.json()))) as { name: string }[];
    assert.ok(!groups.some((group) => group.name === 'csrf-probe'));
  });

  test('the settings page saves the global settings', async () => {
    await goTo('#/settings', 'OAuth settings');
    // The form is shown before the settings arrive; typing earlier would be overwritten by them.
    await page.waitForFunction(() => document.querySelector<HTMLInputElement>('#settings-ttl')?.value !== '');
    await page.fill('#settings-ttl', '0');
    await page.click('text=Save settings');
    await page.locator('#settings-ttl-error').waitFor();
    await page.fill('#settings-ttl', '900');
    await page.fill('#settings-authorization-code-ttl', '601');
    await page.click('text=Save settings');
    await page.locator('#settings-authorization-code-ttl-error', { hasText: '1 to 600 seconds' }).waitFor();
    await page.fill('#settings-authorization-code-ttl', '120');
    await page.fill('#settings-approval-page-title', 'Shop sign-in');
    await page.fill('#settings-approval-page-footer', 'Help: call 1234');
    await page.fill('#settings-password-min-length', '7');
    await page.click('text=Save settings');
    await page.locator('#settings-password-min-length-error', { hasText: 'from 8 to 128' }).waitFor();
    await page.fill('#settings-password-min-length', '12');
    await page.click('text=Save settings');
    await page.locator('.notice-success').waitFor();
    const saved = await server.app.store.getSettings();
    assert.equal(saved.accessTokenTtl, 900);
    assert.equal(saved.authorizationCodeTtl, 120);
    assert.equal(saved.approvalPageTitle, 'Shop sign-in');
    assert.equal(saved.approvalPageFooter, 'Help: call 1234');
    assert.equal(saved.passwordMinLength, 12);
    const audited = await server.app.store.listAudit({ type: 'settings.changed', limit: 1 });
    assert.equal(audited[0]?.detail?.password_min_length, 12, 'audited');
    // Shown as saved when the page is opened again.
    await page.reload();
    await page.waitForFunction(() => document.querySelector<HTMLInputElement>('#settings-password-min-length')?.value === '12');
    await shot('settings');
  });

  test('services: a wrong field is named next to it; create, edit, delete after confirmation', async () => {
    await goTo('#/services', 'Services');
    await page.click('text=New service');
    await page.fill('#service-name', 'orders.v1:getOrder');
    await page.fill('#service-upstream', 'ftp://orders/api');
    await page.click('button:has-text("Create service")');
    await page.locator('#service-upstream-error', { hasText: 'http(s) URL' }).waitFor();
    await page.fill('#service-upstream', 'http://orders:8080/api/get');
    await page.fill('#service-templates', 'GET /elsewhere/{id}');
    await page.click('button:has-text("Create service")');
    await page.locator('#service-templates-error', { hasText: '/rest/' }).waitFor();
    await shot('service-field-error');
    await page.fill('#service-methods', 'get, post');
    await page.fill('#service-templates', 'GET /rest/orders/{id}\n* /rest/orders/**');
    await page.click('button:has-text("Create service")');
    const row = page.locator('#services-table tr', { hasText: 'orders.v1:getOrder' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /GET POST/);
    assert.deepEqual((await server.app.store.findService('orders.v1:getOrder'))?.templates, ['GET /rest/orders/{id}', '* /rest/orders/**']);

    await row.locator('button', { hasText: 'Edit' }).click();
    assert.equal(await page.locator('#service-name').isDisabled(), true, 'the name is the identity');
    await page.fill('#service-upstream', 'http://orders:8080/api/v2');
    await page.click('button:has-text("Save service")');
    await page.locator('.notice-success', { hasText: 'Saved service orders.v1:getOrder' }).waitFor();
    assert.equal((await server.app.store.findService('orders.v1:getOrder'))?.upstream, 'http://orders:8080/api/v2');

    await page.click('text=New service');
    await page.fill('#service-name', 'orders.v1:drop');
    await page.fill('#service-upstream', 'http://orders:8080/api/drop');
    await page.click('button:has-text("Create service")');
    await page.locator('#services-table tr', { hasText: 'orders.v1:drop' }).waitFor();
    await shot('services');
    await page.locator('#services-table tr', { hasText: 'orders.v1:drop' }).locator('button', { hasText: 'Delete' }).click();
    await page.locator('.modal', { hasText: 'Delete this service?' }).waitFor();
    await shot('service-delete-confirm');
    await page.click('.modal button:has-text("Delete")');
    await page.locator('.notice-success', { hasText: 'Deleted service orders.v1:drop' }).waitFor();
    assert.equal(await server.app.store.findService('orders.v1:drop'), undefined);
  });

  test('ACLs: allow and deny groups; a wrong resource is named; delete after confirmation', async () => {
    await server.app.store.createGroup('contractors');
    await goTo('#/acls', 'ACLs');
    await page.click('text=New ACL');
    await page.fill('#acl-resource', 'GET /rest/orders');
    await page.click('button:has-text("Create ACL")');
    await page.locator('#acl-resource-error', { hasText: 'folder' }).waitFor();
    await page.fill('#acl-resource', 'orders');
    await page.check('#acl-allow input[value="shoppers"]');
    await page.check('#acl-deny input[value="contractors"]');
    await page.click('button:has-text("Create ACL")');
    const row = page.locator('#acls-table tr', { hasText: 'orders' });
    await row.waitFor();
    assert.deepEqual(await server.app.store.listAcls(), [{ resource: 'orders', allow: ['shoppers'], deny: ['contractors'] }]);
    await page.click('text=New ACL');
    await page.fill('#acl-resource', 'orders.v1:getOrder');
    await page.check('#acl-allow input[value="Administrators"]');
    await page.click('button:has-text("Create ACL")');
    await page.locator('#acls-table tr', { hasText: 'orders.v1:getOrder' }).waitFor();
    await shot('acls');
    await page.locator('#acls-table tr', { hasText: 'orders.v1:getOrder' }).locator('button', { hasText: 'Delete' }).click();
    await page.locator('.modal', { hasText: 'Delete this ACL?' }).waitFor();
    await shot('acl-delete-confirm');
    await page.click('.modal button:has-text("Delete")');
    await page.locator('.notice-success', { hasText: 'Deleted the ACL on orders.v1:getOrder' }).waitFor();
    assert.equal((await server.app.store.listAcls()).length, 1);
  });

  test('the audit log shows the console\'s changes, newest first, and filters', async () => {
    await goTo('#/audit', 'Audit log');
    const first = page.locator('#audit-table tbody tr').first();
    await first.locator('code', { hasText: 'acl.deleted' }).waitFor();
    assert.match((await first.textContent()) ?? '', /resource=orders\.v1:getOrder/);
    await shot('audit');
    // More than one page by now: "Older" follows the server's cursor, "Newer" comes back.
    const newest = await first.textContent();
    await page.click('.pager button:has-text("Older")');
    await page.locator('.pager', { hasText: 'Page 2' }).waitFor();
    // The pager moves at once; the older page's rows replace the newest ones when its answer arrives.
    await page.waitForFunction((text) => document.querySelector('#audit-table tbody tr')?.textContent !== text, newest);
    assert.notEqual(await page.locator('#audit-table tbody tr').first().textContent(), newest);
    await page.click('.pager button:has-text("Newer")');
    await page.locator('.pager', { hasText: 'Page 1' }).waitFor();
    await page.locator('#audit-table tbody tr').first().locator('code', { hasText: 'acl.deleted' }).waitFor();
    // Event types are picked from a list, not typed.
    assert.ok((await page.locator('#audit-type option').allTextContents()).includes('refresh.reuse_detected'));
    await page.selectOption('#audit-type', 'login.throttled');
    await page.click('#audit-filters button[type=submit]');
    const throttled = page.locator('#audit-table tbody tr', { hasText: 'login.throttled' });
    await throttled.first().waitFor();
    assert.equal(await page.locator('#audit-table tbody tr').count(), await throttled.count(), 'only that event type');
    assert.match((await throttled.first().textContent()) ?? '', /second-admin.*user_ip.*via=admin/);
    await page.selectOption('#audit-type', '');
    await page.fill('#audit-username', 'erin');
    await page.click('#audit-filters button[type=submit]');
    await page.locator('#audit-table tbody tr', { hasText: 'user.created' }).waitFor();
    // Clients by name, the id on hover; the time on one line; the Detail column wide enough to read.
    const issued = page.locator('#audit-table tbody tr', { hasText: 'token.issued' }).first();
    assert.match((await issued.textContent()) ?? '', /Shop app 1\.0/);
    assert.equal(await issued.locator('td.client').getAttribute('title'), client.id);
    const time = await issued.locator('td.time span').boundingBox();
    assert.ok(time && time.height <= 24, `the time is on one line (${time?.height} px high)`);
    const detail = await page.locator('#audit-table th', { hasText: 'Detail' }).boundingBox();
    assert.ok(detail && detail.width >= 200, `the Detail column is ${detail?.width} px wide`);
    assert.ok(!(await page.content()).includes('erin-password'), 'no password on the page');
  });

  test('a user throttled by failed password grants is listed on the throttled page and unlocked there', async () => {
    const grant = (password: string) =>
      postForm(
        `${server.url}/oauth/token`,
        { grant_type: 'password', username: 'erin', password, scope: 'orders' },
        { basic: [client.id!, client.secret!], secrets: server.secrets },
      );
    server.secrets.add('erin-wrong-password');
    for (let attempt = 0; attempt < 3; attempt++) assert.equal((await grant('erin-wrong-password')).status, 400);
    const refused = await grant('erin-password-2');
    assert.equal(refused.status, 429, 'blocked even with the right password');

    await goTo('#/throttled', 'Throttled accounts');
    const row = page.locator('#throttle-table tr', { hasText: 'erin' });
    await row.waitFor();
    const since = server.clock.nowSeconds();
    const readable = (seconds: number) => new Date(seconds * 1000).toISOString().replace('T', ' ').replace('.000Z', 'Z');
    const text = (await row.textContent()) ?? '';
    assert.match(text, /blocked.*this username from this address/);
    assert.ok(text.includes('127.0.0.1'), text);
    assert.ok(text.includes(readable(since)) && text.includes(`${readable(since + 300)} (5 min)`), text);
    // The administrator throttled at sign-in earlier is listed too, and the filter tells them apart.
    await page.locator('#throttle-table tr', { hasText: 'second-admin' }).waitFor();
    await shot('throttled');
    await page.fill('#throttle-table-filter', 'erin');
    await page.locator('#throttle-table tr', { hasText: 'second-admin' }).waitFor({ state: 'detached' });
    assert.equal(await page.locator('#throttle-table tbody tr').count(), 1);

    await row.locator('button', { hasText: 'Unlock' }).click();
    await page.locator('.modal', { hasText: 'Unlock erin?' }).waitFor();
    await shot('throttle-unlock-confirm');
    await page.click('.modal button:has-text("Unlock")');
    await page.locator('.notice-success', { hasText: 'Unlocked erin: 1 recorded block ended.' }).waitFor();
    await page.locator('#throttle-table td', { hasText: 'Nothing matches the filter.' }).waitFor();
    assert.deepEqual(
      (await server.app.store.listThrottleBlocks({ now: since })).map((block) => block.username),
      ['second-admin'],
    );

    const granted = await grant('erin-password-2');
    assert.equal(granted.status, 200, granted.text);
  });

  test('the unlock form names a missing value next to the field and unlocks a typed-in address', async () => {
    await page.fill('#throttle-table-filter', '');
    await page.click('#throttle-unlock-form button[type=submit]');
    await page.locator('#throttle-value-error', { hasText: 'type the username' }).waitFor();
    await page.selectOption('#throttle-kind', 'ip');
    await page.fill('#throttle-value', '127.0.0.1');
    await page.click('#throttle-unlock-form button[type=submit]');
    // The address had no block of its own; its recorded (username, address) block ends with it.
    await page.locator('.notice-success', { hasText: 'Unlocked address 127.0.0.1: 1 recorded block ended.' }).waitFor();
    await page.locator('#throttle-table td', { hasText: 'Nobody is throttled.' }).waitFor();
    assert.deepEqual(await server.app.store.listThrottleBlocks({ now: server.clock.nowSeconds() }), []);
  });

  test('at 420 px wide the navigation and Sign out are reachable, and the page does not overflow', async () => {
    await page.setViewportSize({ width: 420, height: 860 });
    try {
      for (const [hash, heading] of [['#/audit', 'Audit log'], ['#/users/erin', 'User erin'], ['#/tokens', 'Tokens']] as const) {
        await goTo(hash, heading);
        for (const link of await page.locator('.topbar nav a').all()) {
          const box = await link.boundingBox();
          assert.ok(box && box.x >= 0 && box.x + box.width <= 420, `${await link.textContent()} is on screen`);
        }
        const signOut = await page.locator('.topbar button', { hasText: 'Sign out' }).boundingBox();
        assert.ok(signOut && signOut.x + signOut.width <= 420, 'Sign out is on screen');
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(overflow <= 420, `${hash}: the page is ${overflow} px wide`);
      }
      await goTo('#/audit', 'Audit log');
      await shot('phone-audit');
      await page.click('.topbar nav a:has-text("Settings")');
      await page.locator('h2', { hasText: 'Settings' }).waitFor();
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });

  test('signing out returns to the sign-in page', async () => {
    await page.click('text=Sign out');
    await page.locator('#login-username').waitFor();
    await page.reload();
    await page.locator('#login-username').waitFor();
  });

});
