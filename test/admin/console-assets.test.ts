import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkConsoleAssets, CONSOLE_ASSETS_DIR } from '../../src/admin/console-assets.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { startTestServer } from '../helpers/server.ts';

test('start-up fails with one clear line when the console is not built', () => {
  const empty = mkdtempSync(join(tmpdir(), 'portcullis-no-console-'));
  try {
    assert.throws(() => checkConsoleAssets(empty), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /admin console assets missing .*run npm run build:console/);
      return true;
    });
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  assert.equal(checkConsoleAssets(), CONSOLE_ASSETS_DIR, 'the build is present for the tests');
});

test('the console is served by Portcullis itself, with a strict content security policy', async () => {
  const server = await startTestServer();
  try {
    const page = await fetch(`${server.url}/admin/`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /<script type="module" src="\/admin\/console.js"><\/script>/);
    assert.doesNotMatch(html, /https?:\/\//, 'nothing is loaded from elsewhere');
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /script-src 'self'/);
    assert.match(policy, /frame-ancestors 'none'/);
    for (const asset of ['console.js', 'console.css']) {
      const response = await fetch(`${server.url}/admin/${asset}`);
      assert.equal(response.status, 200, asset);
    }
    const bare = await fetch(`${server.url}/admin`, { redirect: 'manual' });
    assert.equal(bare.headers.get('location'), '/admin/');
  } finally {
    await server.close();
  }
});

test('the console\'s source map is served only with NODE_ENV=development (issue 18, finding 15)', async () => {
  const production = await startTestServer();
  const development = await startTestServer({ env: { NODE_ENV: 'development' } });
  try {
    for (const path of ['/admin/console.js.map', '/admin/./console.js.map', '/admin/console.js.map?x=1']) {
      const response = await fetch(`${production.url}${path}`);
      assert.equal(response.status, 404, path);
      assert.doesNotMatch(await response.text(), /"sources"/);
    }
    const map = await fetch(`${development.url}/admin/console.js.map`);
    assert.equal(map.status, 200);
    assert.match(await map.text(), /"sources"/);
  } finally {
    await production.close();
    await development.close();
  }
});
