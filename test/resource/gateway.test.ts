import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setAcl } from '../../src/manage/acls.ts';
import { createGroup } from '../../src/manage/groups.ts';
import { saveService } from '../../src/manage/services.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { bearer, issueToken, rawRequest, startUpstream, type Upstream } from '../helpers/upstream.ts';

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('gateway (docs/resource-server.md, RFC 6750)', () => {
  let server: TestServer;
  let upstream: Upstream;
  let clientId: string;
  let serviceClientId: string;
  let ownerlessClientId: string;
  const token = async (username: string | null, scope: string[], id = clientId) => {
    const issued = await issueToken(server.app, id, { username, scope });
    server.secrets.add(issued.access_token);
    return issued.access_token;
  };
  const call = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);

  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_UPSTREAM_TIMEOUT_MS: '300' } });
    upstream = await startUpstream();
    const store = server.app.store;
    for (const group of ['staff', 'contractors']) await createGroup(store, group);
    await server.user('alice', 'alice-password-1', ['staff']);
    await server.user('bob', 'bob-password-1', ['staff', 'contractors']);
    await server.user('carol', 'carol-password-1', []);
    await server.scope('orders', ['orders']);
    await server.scope('read-one', ['GET /rest/orders/{id}']);
    await server.scope('billing', ['billing']);
    await server.scope('me', ['pub.portcullis']);
    await server.scope('open', ['open']);
    const clock = server.clock;
    await saveService(store, clock, { name: 'orders.v1:getOrder', upstream: `${upstream.url}/api/get`, methods: ['GET'] });
    await saveService(store, clock, { name: 'orders.v1:rest', upstream: `${upstream.url}/base/`, templates: ['* /rest/orders/**'] });
    await saveService(store, clock, { name: 'orders.v1:slow', upstream: `${upstream.url}/slow` });
    await saveService(store, clock, { name: 'orders.v1:down', upstream: `http://127.0.0.1:${await closedPort()}/` });
    await saveService(store, clock, { name: 'open:echo', upstream: `${upstream.url}/open` });
    await saveService(store, clock, { name: 'billing:invoices', upstream: `${upstream.url}/billing` });
    await setAcl(store, { resource: 'orders', allow: ['staff'], deny: ['contractors'] });
    const scopes = ['orders', 'read-one', 'billing', 'me', 'open'];
    clientId = (await server.client({ name: 'app', grants: ['password', 'client_credentials', 'refresh_token'], scopes })).id;
    serviceClientId = (await server.client({ name: 'batch', grants: ['client_credentials'], scopes, serviceUser: 'alice' })).id;
    ownerlessClientId = (await server.client({ name: 'robot', grants: ['client_credentials'], scopes })).id;
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in any log line');
    await server.close();
    await upstream.close();
  });

  describe('a passed request', () => {
    it('reaches the upstream with identity headers, without the token or spoofed identity', async () => {
      const access = await token('alice', ['orders']);
      const response = await rawRequest(`${server.url}/invoke/orders.v1/getOrder?id=42&x=a%20b`, {
        headers: {
          ...bearer(access),
          'x-portcullis-user': 'root',
          'x-forwarded-for': '10.9.9.9',
          'x-custom': 'kept',
          connection: 'keep-alive, x-drop',
          'x-drop': '1',
        },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers['x-upstream'], 'yes');
      assert.equal(response.headers['x-hop'], undefined, 'hop-by-hop headers named in Connection are dropped on the way back');
      const seen = upstream.seen.at(-1)!;
      assert.equal(seen.url, '/api/get?id=42&x=a%20b');
      assert.equal(seen.headers.authorization, undefined);
      assert.equal(seen.headers['x-portcullis-user'], 'alice');
      assert.equal(seen.headers['x-portcullis-client'], clientId);
      assert.equal(seen.headers['x-portcullis-scope'], 'orders');
      assert.equal(seen.headers['x-custom'], 'kept');
      assert.equal(seen.headers['x-drop'], undefined, 'hop-by-hop headers named in Connection are dropped');
      assert.equal(seen.headers.host, new URL(upstream.url).host);
      assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1', 'the untrusted client cannot claim another address');
    });

    it('passes path parameters, query, request and response bodies and status codes through unchanged', async () => {
      const access = await token('alice', ['orders']);
      const body = JSON.stringify({ item: 'ü', n: 1 });
      const response = await call('/rest/orders/4%2042/status/201?q=1&q=2', {
        method: 'POST',
        headers: { ...bearer(access), 'content-type': 'application/json' },
        body,
      });
      assert.equal(response.status, 201);
      const echoed = (await response.json()) as { method: string; url: string; body: string };
      assert.deepEqual(echoed, { method: 'POST', url: '/base/rest/orders/4%2042/status/201?q=1&q=2', body });
      const teapot = await call('/rest/orders/x/status/418', { method: 'DELETE', headers: bearer(access) });
      assert.equal(teapot.status, 418);
      assert.equal(((await teapot.json()) as { method: string }).method, 'DELETE');
    });

    it('streams a chunked request body of unknown length', async () => {
      const access = await token('alice', ['orders']);
      const stream = new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('part one, '));
          controller.enqueue(new TextEncoder().encode('part two'));
          controller.close();
        },
      });
      const response = await call('/rest/orders/upload', {
        method: 'PUT',
        headers: { ...bearer(access), 'content-type': 'application/octet-stream' },
        body: stream,
        duplex: 'half',
      } as RequestInit);
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { body: string }).body, 'part one, part two');
    });

    it('accepts a URL template scope for the method and path it names only', async () => {
      const access = await token('alice', ['read-one']);
      assert.equal((await call('/rest/orders/7', { headers: bearer(access) })).status, 200);
      assert.equal((await call('/rest/orders/7', { method: 'DELETE', headers: bearer(access) })).status, 403);
      assert.equal((await call('/rest/orders/7/items', { headers: bearer(access) })).status, 403);
    });

    it('answers pub.portcullis:whoami itself', async () => {
      const access = await token('alice', ['me']);
      const response = await call('/invoke/pub.portcullis/whoami', { headers: bearer(access) });
      assert.equal(response.status, 200);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.username, 'alice');
      assert.equal(body.client_id, clientId);
      assert.equal(body.scope, 'me');
      assert.equal(body.exp, server.clock.nowSeconds() + 3600);
    });
  });

  describe('denials', () => {
    const challenge = (response: Response) => response.headers.get('www-authenticate');

    it('missing token: 401 with a realm challenge', async () => {
      const response = await call('/invoke/orders.v1/getOrder');
      assert.equal(response.status, 401);
      assert.equal(challenge(response), 'Bearer realm="portcullis"');
      const basic = await call('/invoke/orders.v1/getOrder', { headers: { authorization: 'Basic YTpi' } });
      assert.equal(basic.status, 401);
      assert.equal(challenge(basic), 'Bearer realm="portcullis"');
    });

    it('invalid, malformed, expired, revoked and refresh tokens: 401 invalid_token', async () => {
      const expect401 = async (authorization: string, label: string) => {
        const response = await call('/invoke/orders.v1/getOrder', { headers: { authorization } });
        assert.equal(response.status, 401, label);
        assert.equal(challenge(response), 'Bearer error="invalid_token"', label);
        assert.equal(((await response.json()) as { error: string }).error, 'invalid_token', label);
      };
      await expect401('Bearer not-a-real-token', 'unknown');
      await expect401('Bearer a b', 'malformed');

      const expiring = await token('alice', ['orders']);
      server.clock.advance(3600);
      await expect401(`Bearer ${expiring}`, 'expired');
      server.clock.advance(-3600);

      const revoked = await token('alice', ['orders']);
      const record = (await server.app.store.findToken(hashSecret(revoked)))!;
      await server.app.store.revokeGrant(record, server.clock.nowSeconds());
      await expect401(`Bearer ${revoked}`, 'revoked');

      const withRefresh = await issueToken(server.app, clientId, { username: 'alice', scope: ['orders'], withRefresh: true });
      server.secrets.add(withRefresh.refresh_token!);
      await expect401(`Bearer ${withRefresh.refresh_token}`, 'refresh token used as access token');
    });

    it('scope too narrow: 403 insufficient_scope naming the scopes that would do', async () => {
      const access = await token('alice', ['billing']);
      const response = await call('/invoke/orders.v1/getOrder', { headers: bearer(access) });
      assert.equal(response.status, 403);
      assert.equal(challenge(response), 'Bearer error="insufficient_scope", scope="orders"');
      assert.equal(((await response.json()) as { error: string }).error, 'insufficient_scope');
      const viaTemplate = await call('/rest/orders/9', { headers: bearer(access) });
      assert.equal(challenge(viaTemplate), 'Bearer error="insufficient_scope", scope="orders read-one"');
    });

    it('ACL: 403 access_denied for a user outside the allowed groups, and deny wins', async () => {
      for (const user of ['carol', 'bob']) {
        const response = await call('/invoke/orders.v1/getOrder', { headers: bearer(await token(user, ['orders'])) });
        assert.equal(response.status, 403, user);
        assert.deepEqual(await response.json(), { error: 'access_denied' });
        assert.equal(challenge(response), null);
      }
      const open = await call('/invoke/open/echo', { headers: bearer(await token('carol', ['open'])) });
      assert.equal(open.status, 200, 'no ACL up the chain: any authenticated owner');
    });

    it('client_credentials tokens are checked against the client service user', async () => {
      const asAlice = await call('/invoke/orders.v1/getOrder', { headers: bearer(await token(null, ['orders'], serviceClientId)) });
      assert.equal(asAlice.status, 200);
      assert.equal(upstream.seen.at(-1)!.headers['x-portcullis-user'], 'alice');
      const ownerless = await call('/invoke/orders.v1/getOrder', { headers: bearer(await token(null, ['orders'], ownerlessClientId)) });
      assert.equal(ownerless.status, 403);
      const ownerlessOpen = await call('/invoke/open/echo', { headers: bearer(await token(null, ['open'], ownerlessClientId)) });
      assert.equal(ownerlessOpen.status, 200);
      assert.equal(upstream.seen.at(-1)!.headers['x-portcullis-user'], undefined);
    });

    it('unknown services 404, refused paths 400, wrong methods 405, all after the token check', async () => {
      const access = await token('alice', ['orders', 'billing']);
      assert.equal((await call('/invoke/orders.v1/nope')).status, 401, 'no token, no information');
      assert.equal((await call('/invoke/orders.v1/nope', { headers: bearer(access) })).status, 404);
      assert.equal((await call('/invoke/orders.v1/getOrder/extra', { headers: bearer(access) })).status, 404);
      assert.equal((await call('/rest/unmapped', { headers: bearer(access) })).status, 404);
      for (const path of ['/rest/orders/%2e%2e/admin', '/rest/orders/../admin', '/rest/orders/a%2Fb', '/rest//orders/1']) {
        assert.equal((await rawRequest(`${server.url}${path}`, { headers: bearer(access) })).status, 400, path);
      }
      const wrongMethod = await call('/invoke/orders.v1/getOrder', { method: 'POST', headers: bearer(access), body: 'x' });
      assert.equal(wrongMethod.status, 405);
      assert.equal(wrongMethod.headers.get('allow'), 'GET');
    });

    it('leaves the authorization server aliases under /invoke/pub.oauth alone', async () => {
      const access = await token('alice', ['orders']);
      const other = await call('/invoke/pub.oauth/whatever', { headers: bearer(access) });
      assert.equal(other.status, 404);
      assert.equal((await call('/invoke/pub.oauth/getToken', { method: 'OPTIONS' })).status, 404, 'not a Bearer challenge');
      const alias = await postForm(`${server.url}/invoke/pub.oauth/getToken`, { grant_type: 'nope' });
      assert.equal(alias.status, 400);
      assert.equal(alias.body.error, 'unsupported_grant_type');
    });
  });

  describe('upstream failures', () => {
    it('an upstream that is down gives 502 with a JSON body', async () => {
      const response = await call('/invoke/orders.v1/down', { headers: bearer(await token('alice', ['orders'])) });
      assert.equal(response.status, 502);
      assert.equal(((await response.json()) as { error: string }).error, 'bad_gateway');
    });

    it('an upstream that does not answer in time gives 504 with a JSON body', async () => {
      const response = await call('/invoke/orders.v1/slow', { headers: bearer(await token('alice', ['orders'])) });
      assert.equal(response.status, 504);
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'upstream_timeout');
      assert.match(body.error_description, /300 ms/);
    });
  });
});
