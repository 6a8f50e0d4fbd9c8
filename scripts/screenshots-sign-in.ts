// Makes the screenshots of the sign-in and approval pages in docs/images/ (desktop and phone width)
// against a real server on a throwaway database, with Debian's Chromium:
//   node --import tsx scripts/screenshots-sign-in.ts
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { updateSettings } from '../src/manage/settings.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../test/helpers/chromium.ts';
import { startTestServer } from '../test/helpers/server.ts';
import { authorizePath, pkcePair } from '../test/helpers/sign-in.ts';

const IMAGES = join(import.meta.dirname, '..', 'docs', 'images');
const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

const server = await startTestServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
try {
  await server.app.store.saveScope({ name: 'orders', description: 'See and place your orders', resources: ['orders'] });
  await server.app.store.saveScope({ name: 'profile', description: 'Read your name and e-mail address', resources: [] });
  await updateSettings(server.app.store, { approvalPageFooter: 'Questions? Call the IT help desk on 1234.' }, server.clock);
  server.app.ctx.settings.invalidate();
  const client = await server.client({
    name: 'Shop',
    type: 'public',
    grants: ['authorization_code', 'refresh_token'],
    scopes: ['orders', 'profile'],
    redirectUris: ['https://shop.example/callback'],
  });
  await server.user('alice', 'alice-password-1');
  const path = authorizePath({
    client_id: client.id,
    redirect_uri: 'https://shop.example/callback',
    response_type: 'code',
    scope: 'orders profile',
    state: 'screenshot',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });
  for (const [name, viewport] of Object.entries(WIDTHS)) {
    const context = await browser.newContext({ viewport, isMobile: name === 'phone' });
    const page = await context.newPage();
    await page.goto(`${server.url}${path}`);
    await page.screenshot({ path: join(IMAGES, `sign-in-${name}.png`) });
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Password').fill('alice-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    await page.screenshot({ path: join(IMAGES, `approval-${name}.png`) });
    await context.close();
  }
  console.log(`wrote sign-in-{desktop,phone}.png and approval-{desktop,phone}.png into ${IMAGES}`);
} finally {
  await browser.close();
  await server.close();
}
