import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type App, createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { setAcl } from '../../src/manage/acls.ts';
import { createGroup } from '../../src/manage/groups.ts';
import { saveService } from '../../src/manage/services.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { bearer, startUpstream, type Upstream } from '../helpers/upstream.ts';

/**
 * An authorization server and a second Portcullis as a pure resource server pointed at it by
 * introspection_url alone: JWT access tokens pass offline against the published JWKS (the issuer,
 * audience and JWKS URL all derived from the introspection URL), opaque ones are introspected, and
 * a service marked introspect_always introspects JWTs too. Calls to the introspection endpoint are
 * counted on the authorization server's HTTP server.
 */
describe('a remote resource server verifying JWT access tokens offline', () => {
  let as: TestServer;
  let rs: App;
  let rsUrl: string;
  let upstream: Upstream;
  let jwtClient: { id: string; secret: string };
  let opaqueClient: { id: string; secret: string };
  let introspections = 0;

  before(async () => {
    as = await startTestServer();
    as.app.server.server.on('request', (req: IncomingMessage) => {
      if (req.url?.startsWith('/oauth/introspect')) introspections += 1;
    });
    upstream = await startUpstream();
    await createGroup(as.app.store, 'staff');
    await as.user('alice', 'alice-password-1', ['staff']);
    await as.scope('orders', ['orders']);
    await saveService(as.app.store, as.clock, { name: 'orders:list', upstream: `${upstream.url}/list` });
    await saveService(as.app.store, as.clock, { name: 'orders:refund', upstream: `${upstream.url}/refund`, introspectAlways: true });
    await setAcl(as.app.store, { resource: 'orders', allow: ['staff'], deny: [] });
    const gateway = await as.client({ name: 'gateway', grants: ['client_credentials'], introspect: true });
    const jwt = await as.client({ name: 'jwt-app', grants: ['password'], scopes: ['orders'], tokenFormat: 'jwt' });
    const opaque = await as.client({ name: 'opaque-app', grants: ['password'], scopes: ['orders'] });
    jwtClient = { id: jwt.id, secret: jwt.secret! };
    opaqueClient = { id: opaque.id, secret: opaque.secret! };

    rs = await createApp(
      loadConfig(
        { db: as.dbPath, port: 0 },
        {
          PORTCULLIS_LOG_LEVEL: 'info',
          PORTCULLIS_SETTINGS_MAX_AGE: '0',
          PORTCULLIS_PURGE_INTERVAL: '0',
          PORTCULLIS_INTROSPECTION_URL: `${as.url}/oauth/introspect`,
          PORTCULLIS_INTROSPECTION_CLIENT_ID: gateway.id,
          PORTCULLIS_INTROSPECTION_CLIENT_SECRET: gateway.secret!,
          PORTCULLIS_INTROSPECTION_CACHE_MAX_AGE: '0',
        },
      ),
      { clock: as.clock, logDestination: new Writable({ write: (_chunk, _encoding, done) => done() }) },
    );
    await rs.server.listen({ port: 0, host: '127.0.0.1' });
    rsUrl = `http://127.0.0.1:${(rs.server.server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await rs?.close();
    await upstream?.close();
    await as?.close();
  });

  async function token(client: { id: string; secret: string }): Promise<string> {
    const issued = await postForm(
      `${as.url}/oauth/token`,
      { grant_type: 'password', username: 'alice', password: 'alice-password-1', scope: 'orders' },
      { basic: [client.id, client.secret] },
    );
    assert.equal(issued.status, 200, issued.text);
    return issued.body.access_token as string;
  }

  it('passes a JWT without an introspection call', async () => {
    const jwt = await token(jwtClient);
    assert.equal(jwt.split('.').length, 3);
    const before = introspections;
    for (let i = 0; i < 2; i += 1) {
      const response = await fetch(`${rsUrl}/invoke/orders/list`, { headers: bearer(jwt) });
      assert.equal(response.status, 200, await response.text());
    }
    assert.equal(upstream.seen.at(-1)!.headers['x-portcullis-user'], 'alice');
    assert.equal(introspections, before);
  });

  it('still introspects an opaque token', async () => {
    const opaque = await token(opaqueClient);
    const before = introspections;
    const response = await fetch(`${rsUrl}/invoke/orders/list`, { headers: bearer(opaque) });
    assert.equal(response.status, 200);
    assert.equal(introspections, before + 1);
  });

  it('refuses a tampered JWT with 401', async () => {
    const [header, payload, signature] = (await token(jwtClient)).split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'mallory' })).toString('base64url');
    // A flipped signature character too: neither a changed claim nor a changed signature verifies.
    const flipped = signature.slice(0, 10) + (signature[10] === 'A' ? 'B' : 'A') + signature.slice(11);
    for (const bad of [`${header}.${forged}.${signature}`, `${header}.${payload}.${flipped}`]) {
      const response = await fetch(`${rsUrl}/invoke/orders/list`, { headers: bearer(bad) });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
    }
  });

  it('introspects a JWT for a service marked introspect_always, and refuses it there once revoked', async () => {
    const jwt = await token(jwtClient);
    let before = introspections;
    const first = await fetch(`${rsUrl}/invoke/orders/refund`, { headers: bearer(jwt) });
    assert.equal(first.status, 200);
    assert.equal(introspections, before + 1);

    const revoked = await postForm(`${as.url}/oauth/revoke`, { token: jwt }, { basic: [jwtClient.id, jwtClient.secret] });
    assert.equal(revoked.status, 200);
    before = introspections;
    const refused = await fetch(`${rsUrl}/invoke/orders/refund`, { headers: bearer(jwt) });
    assert.equal(refused.status, 401);
    assert.equal(introspections, before + 1);
    // Elsewhere the offline verdict stands until the JWT expires: the documented trade-off.
    const offline = await fetch(`${rsUrl}/invoke/orders/list`, { headers: bearer(jwt) });
    assert.equal(offline.status, 200);
  });
});

