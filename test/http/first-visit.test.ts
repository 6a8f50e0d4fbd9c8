import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { startServe, tempDb } from '../helpers/cli.ts';
import { startTestServer } from '../helpers/server.ts';

describe('GET / (README "Endpoints")', () => {
  it('answers where to go next: the metadata, the token endpoint and the console', async () => {
    const server = await startTestServer();
    try {
      const response = await fetch(`${server.url}/`);
      assert.equal(response.status, 200);
      const index = (await response.json()) as Record<string, string>;
      assert.equal(index.name, 'Portcullis');
      assert.equal(index.metadata, `${server.url}/.well-known/oauth-authorization-server`);
      assert.equal(index.console, `${server.url}/admin/`);
      assert.equal(index.token_endpoint, `${server.url}/oauth/token`);
      // Each link it gives works.
      assert.equal((await fetch(index.metadata)).status, 200);
      assert.equal((await fetch(index.console)).status, 200);
    } finally {
      await server.close();
    }
  });
});

describe('a resource server that verifies by introspection (docs/resource-server.md)', () => {
  it('serves no /oauth/token, no /admin and no metadata, and creates no Administrator in its database', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-rs-only-'));
    const config = loadConfig(
      { db: join(dir, 'rs.db'), port: 0 },
      {
        PORTCULLIS_LOG_LEVEL: 'silent',
        PORTCULLIS_INTROSPECTION_URL: 'http://127.0.0.1:1/oauth/introspect',
        PORTCULLIS_INTROSPECTION_CLIENT_ID: 'gateway',
        PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'gateway-secret-for-tests',
      },
    );
    const app = await createApp(config, { logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }) });
    try {
      assert.equal(app.bootstrap.createdAdmin, false);
      assert.equal(await app.store.findUser('Administrator'), undefined);
      await app.server.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.server.address() as AddressInfo).port}`;
      for (const path of ['/oauth/token', '/admin/', '/admin/api/clients', '/.well-known/oauth-authorization-server', '/oauth/authorize']) {
        const response = await fetch(`${url}${path}`, { method: path === '/oauth/token' ? 'POST' : 'GET' });
        assert.equal(response.status, 404, path);
      }
      const index = (await (await fetch(`${url}/`)).json()) as Record<string, unknown>;
      assert.match(String(index.role), /^resource server/);
      assert.equal(index.console, undefined);
      // The gateway is what it is for.
      assert.equal((await fetch(`${url}/invoke/orders/list`)).status, 401);
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('serve --host 0.0.0.0 (README "Running several instances")', () => {
  it('warns that the published issuer cannot be reached, and names the setting', async () => {
    const tmp = tempDb();
    const serve = await startServe(['--host', '0.0.0.0', '--db', tmp.db], { env: { PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests' } });
    try {
      const warning = serve.stdout().split('\n').find((line) => line.includes('listen-everywhere'));
      assert.ok(warning, serve.stdout());
      const parsed = JSON.parse(warning) as { level: number; msg: string; issuer: string };
      assert.equal(parsed.level, 40);
      assert.match(parsed.issuer, /^http:\/\/0\.0\.0\.0:\d+$/);
      assert.match(parsed.msg, /set issuer \(PORTCULLIS_ISSUER, --issuer\)/);
    } finally {
      await serve.stop();
      tmp.cleanup();
    }
    const named = tempDb();
    const withIssuer = await startServe(['--host', '0.0.0.0', '--issuer', 'https://auth.example.com', '--db', named.db], {
      env: { PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests' },
    });
    try {
      assert.ok(!withIssuer.stdout().includes('listen-everywhere'));
      const metadata = (await (await fetch(`${withIssuer.url}/.well-known/oauth-authorization-server`)).json()) as { issuer: string };
      assert.equal(metadata.issuer, 'https://auth.example.com');
    } finally {
      await withIssuer.stop();
      named.cleanup();
    }
  });
});
