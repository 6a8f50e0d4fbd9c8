import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { setAcl } from '../../src/manage/acls.ts';
import { createGroup } from '../../src/manage/groups.ts';
import {
  introspectionVerifier,
  localVerifier,
  portcullisFastify,
  portcullisMiddleware,
  type ProtectedRequest,
  storeAuthorizer,
} from '../../src/resource/index.ts';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { bearer, issueToken } from '../helpers/upstream.ts';

describe('the resource-server library (Fastify plugin and (req, res, next) middleware)', () => {
  let server: TestServer;
  let clientId: string;
  let introspector: { id: string; secret: string };
  const token = async (username: string, scope: string[]) => (await issueToken(server.app, clientId, { username, scope })).access_token;

  before(async () => {
    server = await startTestServer();
    await createGroup(server.app.store, 'staff');
    await server.user('alice', 'alice-password-1', ['staff']);
    await server.user('carol', 'carol-password-1', []);
    await server.scope('orders', ['orders']);
    await server.scope('reports', ['GET /reports/**']);
    await server.scope('other', ['other']);
    await setAcl(server.app.store, { resource: 'orders', allow: ['staff'], deny: [] });
    clientId = (await server.client({ name: 'app', grants: ['password'], scopes: ['orders', 'reports', 'other'] })).id;
    const rs = await server.client({ name: 'my-service', grants: ['client_credentials'], introspect: true });
    introspector = { id: rs.id, secret: rs.secret! };
  });
  after(() => server.close());

  describe('Fastify plugin, local verification with scopes and ACLs from the store', () => {
    let app: FastifyInstance;
    let url: string;
    before(async () => {
      app = Fastify();
      app.get('/public', async () => ({ open: true }));
      await app.register(async (scope) => {
        await scope.register(portcullisFastify, {
          verifier: localVerifier(server.app.store, server.clock),
          authorizer: storeAuthorizer(server.app.store, { clock: server.clock, maxAgeSeconds: 0 }),
          service: 'orders.v1:list',
        });
        scope.get('/orders', async (request) => ({ user: request.portcullis?.user, scope: request.portcullis?.token.scope }));
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    });
    after(() => app.close());

    it('lets a covered, allowed caller through and tells the route who it is', async () => {
      const response = await fetch(`${url}/orders`, { headers: bearer(await token('alice', ['orders'])) });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { user: 'alice', scope: ['orders'] });
    });

    it('answers every denial as the gateway does', async () => {
      const missing = await fetch(`${url}/orders`);
      assert.equal(missing.status, 401);
      assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="portcullis"');
      const invalid = await fetch(`${url}/orders`, { headers: bearer('nope') });
      assert.equal(invalid.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      const narrow = await fetch(`${url}/orders`, { headers: bearer(await token('alice', ['other'])) });
      assert.equal(narrow.status, 403);
      assert.equal(narrow.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="orders"');
      const denied = await fetch(`${url}/orders`, { headers: bearer(await token('carol', ['orders'])) });
      assert.equal(denied.status, 403);
      assert.deepEqual(await denied.json(), { error: 'access_denied' });
    });

    it('protects only the context it is registered in', async () => {
      assert.equal((await fetch(`${url}/public`)).status, 200);
    });
  });

  describe('plain node:http middleware, remote introspection', () => {
    let http: Server;
    let url: string;
    before(async () => {
      const guard = portcullisMiddleware({
        verifier: introspectionVerifier({
          endpoint: `${server.url}/oauth/introspect`,
          clientId: introspector.id,
          clientSecret: introspector.secret,
          cacheMaxAge: 0,
          // The test server runs on a manual clock; the token's exp is checked against the same one.
          clock: server.clock,
        }),
        scopes: ['reports'],
      });
      http = createServer((req, res) => {
        guard(req, res, (error) => {
          if (error) {
            res.writeHead(500).end();
            return;
          }
          const access = (req as ProtectedRequest).portcullis!;
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ user: access.user, client: access.token.clientId }));
        });
      });
      await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    });
    after(() => new Promise<void>((resolve) => http.close(() => resolve())));

    it('passes a token carrying a required scope', async () => {
      const response = await fetch(`${url}/reports/today`, { headers: bearer(await token('carol', ['reports'])) });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { user: 'carol', client: clientId });
    });

    it('refuses missing, invalid and too narrow tokens', async () => {
      assert.equal((await fetch(`${url}/reports/today`)).status, 401);
      const invalid = await fetch(`${url}/reports/today`, { headers: bearer('garbage') });
      assert.equal(invalid.status, 401);
      assert.equal(invalid.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
      const narrow = await fetch(`${url}/reports/today`, { headers: bearer(await token('carol', ['other'])) });
      assert.equal(narrow.status, 403);
      assert.equal(narrow.headers.get('www-authenticate'), 'Bearer error="insufficient_scope", scope="reports"');
    });
  });
});
