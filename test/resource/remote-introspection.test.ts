import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ManualClock } from '../../src/core/clock.ts';
import { createGroup } from '../../src/manage/groups.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { saveScope } from '../../src/manage/scopes.ts';
import { saveService } from '../../src/manage/services.ts';
import { createUser } from '../../src/manage/users.ts';
import { setAcl } from '../../src/manage/acls.ts';
import { type ServerProcess, startServerProcess } from '../helpers/processes.ts';
import { postForm } from '../helpers/server.ts';
import { bearer, startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * Two processes: `portcullis serve` as the authorization server, and in this process a resource
 * server that verifies tokens only by RFC 7662 introspection against it, with a cache bound of
 * CACHE_BOUND seconds. Both read services, scopes and groups from the same database file.
 */
describe('a resource server verifying by remote introspection (two processes)', () => {
  const CACHE_BOUND = 1;
  let dir: string;
  let authServer: ServerProcess;
  let authUrl: string;
  let resourceServer: App;
  let resourceUrl: string;
  let upstream: Upstream;
  let appClient: { id: string; secret: string };
  const clock = new ManualClock(Math.floor(Date.now() / 1000));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-rs-'));
    const db = join(dir, 'shared.db');
    authServer = await startServerProcess({ PORTCULLIS_DB: db, PORTCULLIS_SETTINGS_MAX_AGE: '0' });
    authUrl = authServer.url;

    upstream = await startUpstream();
    // The resource server's own process needs its introspection credentials before it starts;
    // register them through a short-lived store handle first.
    const setup = await createApp(loadConfig({ db, port: 0 }, { PORTCULLIS_LOG_LEVEL: 'silent' }), { clock });
    const store = setup.store;
    await createGroup(store, 'staff');
    await createUser(store, setup.ctx.hasher, clock, { username: 'alice', password: 'alice-password-1', groups: ['staff'] });
    await saveScope(store, { name: 'orders', description: '', resources: ['orders'] });
    await saveService(store, clock, { name: 'orders:list', upstream: `${upstream.url}/list` });
    await setAcl(store, { resource: 'orders', allow: ['staff'], deny: [] });
    const rs = await registerClient(store, clock, { name: 'gateway', type: 'confidential', grants: ['client_credentials'], introspect: true });
    const app = await registerClient(store, clock, { name: 'app', type: 'confidential', grants: ['password', 'refresh_token'], scopes: ['orders'] });
    appClient = { id: app.client.id, secret: app.secret! };
    await setup.close();

    resourceServer = await createApp(
      loadConfig(
        { db, port: 0 },
        {
          PORTCULLIS_LOG_LEVEL: 'info',
          PORTCULLIS_SETTINGS_MAX_AGE: '0',
          PORTCULLIS_INTROSPECTION_URL: `${authUrl}/oauth/introspect`,
          PORTCULLIS_INTROSPECTION_CLIENT_ID: rs.client.id,
          PORTCULLIS_INTROSPECTION_CLIENT_SECRET: rs.secret!,
          PORTCULLIS_INTROSPECTION_CACHE_MAX_AGE: String(CACHE_BOUND),
        },
      ),
      { clock, logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }) },
    );
    await resourceServer.server.listen({ port: 0, host: '127.0.0.1' });
    resourceUrl = `http://127.0.0.1:${(resourceServer.server.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await resourceServer?.close();
    await upstream?.close();
    await authServer?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a token issued by the other process, and stops within the bound after revocation', async () => {
    const issued = await postForm(
      `${authUrl}/oauth/token`,
      { grant_type: 'password', username: 'alice', password: 'alice-password-1', scope: 'orders' },
      { basic: [appClient.id, appClient.secret] },
    );
    assert.equal(issued.status, 200, issued.text);
    const token = issued.body.access_token as string;

    const first = await fetch(`${resourceUrl}/invoke/orders/list`, { headers: bearer(token) });
    assert.equal(first.status, 200);
    assert.equal(upstream.seen.at(-1)!.headers['x-portcullis-user'], 'alice');

    const revoked = await postForm(`${authUrl}/oauth/revoke`, { token }, { basic: [appClient.id, appClient.secret] });
    assert.equal(revoked.status, 200);

    // Within the bound the cached answer may still be used: that is the documented trade-off.
    const cached = await fetch(`${resourceUrl}/invoke/orders/list`, { headers: bearer(token) });
    assert.equal(cached.status, 200);

    clock.advance(CACHE_BOUND);
    const after = await fetch(`${resourceUrl}/invoke/orders/list`, { headers: bearer(token) });
    assert.equal(after.status, 401);
    assert.equal(after.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });

  it('refuses a refresh token presented as a bearer token', async () => {
    const issued = await postForm(
      `${authUrl}/oauth/token`,
      { grant_type: 'password', username: 'alice', password: 'alice-password-1' },
      { basic: [appClient.id, appClient.secret] },
    );
    const response = await fetch(`${resourceUrl}/invoke/orders/list`, { headers: bearer(issued.body.refresh_token as string) });
    assert.equal(response.status, 401);
  });
});
