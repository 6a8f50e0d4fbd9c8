import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, requireChromium, signInToConsole } from '../helpers/chromium.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { directoryEnv, group, person, requireSlapd, SERVICE_PASSWORD, type Slapd, startSlapd, userDn } from '../helpers/slapd.ts';

const SCREENSHOTS = join('test-output', 'screenshots');

const TREE = [
  person('alice', 'alice-directory-password'),
  group('staff', [userDn('alice')]),
  group('portcullis-admins', [userDn('alice')], 'groupOfUniqueNames'),
].join('\n');

const ready = requireChromium('directory pages of the admin console in a browser') && requireSlapd('directory pages of the admin console in a browser');

/** The console's Directory page and directory users, driven in headless Chromium against a real server and slapd. */
describe('the directory in the admin console', { skip: !ready }, () => {
  let slapd: Slapd;
  let server: TestServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  before(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    slapd = await startSlapd({ ldif: TREE });
    server = await startTestServer({ env: directoryEnv(slapd) });
    for (const secret of [SERVICE_PASSWORD, 'alice-directory-password']) server.secrets.add(secret);
    profile = mkdtempSync(join(tmpdir(), 'portcullis-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      headless: true,
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
  });

  after(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    assert.deepEqual(findLeaks(server?.logs ?? [], server?.secrets ?? []), []);
    await server?.close();
    await slapd?.close();
  });

  test('a directory administrator signs in; the Directory page shows the settings with the bind password masked', async () => {
    await signInToConsole(page, server.url, 'alice', 'alice-directory-password');
    await page.goto(`${server.url}/admin/#/directory`);
    await page.locator('#directory-settings').waitFor();
    const settings = (await page.locator('#directory-settings').textContent()) ?? '';
    assert.match(settings, /bind_password\*{8} \(from the environment\)/);
    assert.ok(!settings.includes(SERVICE_PASSWORD));
    assert.match((await page.locator('#directory-state').textContent()) ?? '', /^up/);
  });

  test('Test connection runs every step, with a user\'s bind and groups', async () => {
    await page.fill('#directory-test-username', 'alice');
    await page.fill('#directory-test-password', 'alice-directory-password');
    await page.click('#directory-test-form button[type=submit]');
    await page.locator('#directory-test-steps').waitFor();
    const steps = (await page.locator('#directory-test-steps').textContent()) ?? '';
    for (const step of ['service bind', 'user base', 'user search', 'user bind', 'groups']) assert.match(steps, new RegExp(`ok ${step}`));
    assert.equal(await page.locator('#directory-test-steps .badge.warn').count(), 0);
    assert.equal(await page.inputValue('#directory-test-password'), '', 'the password is not kept in the form');
    await shot('console-directory');
  });

  test('directory users are listed with their source, and their page is read-only', async () => {
    await page.goto(`${server.url}/admin/#/users`);
    const row = page.locator('#users-table tbody tr', { hasText: 'alice' });
    await row.waitFor();
    assert.match((await row.textContent()) ?? '', /directory/);
    await row.locator('a').click();
    await page.locator('dl.facts').waitFor();
    assert.match((await page.locator('dl.facts').textContent()) ?? '', new RegExp(userDn('alice')));
    assert.equal(await page.locator('button', { hasText: 'Set password' }).count(), 0);
    assert.equal(await page.locator('button', { hasText: 'Save groups' }).count(), 0);
  });
});
