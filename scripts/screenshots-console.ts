// Makes the admin console's screenshots in docs/images/ (desktop, and phone width for some pages)
// against a real server on a throwaway database, with Debian's Chromium:
//   npm run screenshots:console
// The Directory page's screenshot needs an LDAP server and is made by hand (docs/directory.md).
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { setAcl } from '../src/manage/acls.ts';
import { createGroup } from '../src/manage/groups.ts';
import { saveService } from '../src/manage/services.ts';
import { ADMIN_PASSWORD } from '../test/helpers/admin.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/chromium.ts';
import { postForm, startTestServer } from '../test/helpers/server.ts';

const IMAGES = join(import.meta.dirname, '..', 'docs', 'images');

const server = await startTestServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  // A small setup that shows every page with something on it.
  await server.scope('orders', ['orders']);
  await createGroup(server.app.store, 'staff', server.clock);
  await createGroup(server.app.store, 'contractors', server.clock);
  await server.user('alice', 'correct-horse-battery', ['staff']);
  await server.user('bob', 'staple-battery-horse', ['contractors']);
  const shop = await server.client({ name: 'Shop app', version: '1.0', type: 'confidential', grants: ['password', 'refresh_token'], scopes: ['orders'] });
  await saveService(server.app.store, server.clock, { name: 'orders.v1:getOrder', upstream: 'http://127.0.0.1:8080/api/get', methods: ['GET'] });
  await saveService(server.app.store, server.clock, { name: 'orders.v1:rest', upstream: 'http://127.0.0.1:8080', templates: ['GET /rest/orders/{id}'] });
  await setAcl(server.app.store, { resource: 'orders', allow: ['staff'], deny: ['contractors'] }, server.clock);
  const token = (username: string, password: string) =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password, scope: 'orders' }, { basic: [shop.id, shop.secret!] });
  await token('alice', 'correct-horse-battery');
  await token('bob', 'staple-battery-horse');
  await token('alice', 'a-wrong-password');

  const shoot = async (page: Page, hash: string, heading: string, file: string) => {
    await page.goto(`${server.url}/admin/${hash}`);
    await page.locator('h2', { hasText: heading }).first().waitFor();
    await page.waitForLoadState('networkidle');
    await page.screenshot({ path: join(IMAGES, file), fullPage: true });
  };
  const widths = { desktop: { width: 1280, height: 800 }, phone: { width: 420, height: 860 } };
  const written: string[] = [];
  for (const [name, viewport] of Object.entries(widths)) {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    await page.goto(`${server.url}/admin/`);
    await page.fill('#login-username', 'Administrator');
    await page.fill('#login-password', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.locator('.topbar').waitFor();
    if (name === 'desktop') {
      await page.goto(`${server.url}/admin/#/clients`);
      await page.click('text=Register client');
      await page.fill('#client-name', 'Warehouse scanner');
      await page.check('#client-grants input[value="client_credentials"]');
      await page.screenshot({ path: join(IMAGES, 'console-register-client.png'), fullPage: true });
      for (const [hash, heading, file] of [
        ['#/tokens', 'Tokens', 'console-tokens.png'],
        ['#/services', 'Services', 'console-services.png'],
        ['#/audit', 'Audit log', 'console-audit.png'],
        ['#/users/alice', 'User alice', 'console-user-sessions.png'],
        [`#/clients/${shop.id}`, 'Client Shop app', 'console-client.png'],
        ['#/throttled', 'Throttled', 'console-throttled.png'],
      ] as const) {
        await shoot(page, hash, heading, file);
        written.push(file);
      }
    } else {
      await shoot(page, '#/audit', 'Audit log', 'console-phone-audit.png');
      await shoot(page, '#/users/alice', 'User alice', 'console-phone-user.png');
      written.push('console-phone-audit.png', 'console-phone-user.png');
    }
    await context.close();
  }
  console.log(`wrote console-register-client.png, ${written.join(', ')} into ${IMAGES}`);
} finally {
  await browser.close();
  await server.close();
}
