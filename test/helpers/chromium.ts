import { accessSync, constants } from 'node:fs';
import type { Page } from 'playwright-core';
import { ADMIN_PASSWORD } from './admin.ts';
import { requireService } from './services.ts';

/** Debian's Chromium, which the browser tests drive (never a downloaded browser). */
export const CHROMIUM = '/usr/bin/chromium';

/** How the browser tests start it: headless, without a sandbox (containers), and quiet (no network of its own). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Whether the browser tests of `suite` run: under CI a missing Chromium is a failure (thrown at
 * load); on a developer's machine they are counted as skipped, with the reason.
 */
export function requireChromium(suite: string): boolean {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return requireService(suite, { ok: true });
  } catch (error) {
    return requireService(suite, {
      ok: false,
      problem: `Chromium is not at ${CHROMIUM} (${(error as NodeJS.ErrnoException).code})`,
      remedy: 'Install it: apt-get install chromium.',
    });
  }
}

/** Signs in to the admin console at `baseUrl` through its sign-in form, and waits for the navigation. */
export async function signInToConsole(page: Page, baseUrl: string, username = 'Administrator', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto(`${baseUrl}/admin/`);
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('button[type=submit]');
  await page.locator('nav').waitFor();
}
