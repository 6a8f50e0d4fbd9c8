import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setAcl } from '../../src/manage/acls.ts';
import { createGroup } from '../../src/manage/groups.ts';
import { saveService } from '../../src/manage/services.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { bearer, issueToken, rawRequest, startUpstream, type Upstream } from '../helpers/upstream.ts';

/** Headers that make an answer safe to receive, whoever wrote it (src/http/security-headers.ts), and keep it out of caches. */
const SECURITY_HEADERS = [
  'x-content-type-options',
  'x-frame-options',
  'referrer-policy',
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'strict-transport-security',
  'cache-control',
];

async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function securityHeaders(headers: IncomingHttpHeaders): Record<string, unknown> {
  return Object.fromEntries(SECURITY_HEADERS.map((name) => [name, headers[name]]));
}

/**
 * Every answer the gateway writes itself leaves through the server's error boundary, so it carries
 * the security headers of `/oauth/token`'s error answers (hardening, docs/errors.md); the body,
 * status and `WWW-Authenticate`/`Retry-After`/`Allow` are those of docs/resource-server.md "Answers".
 */
describe('gateway answers carry the security headers of every other answer', () => {
  let server: TestServer;
  let upstream: Upstream;
  let clientId: string;
  let reference: Record<string, unknown>;
  const token = async (username: string, scope: string[]) => {
    const issued = await issueToken(server.app, clientId, { username, scope });
    server.secrets.add(issued.access_token);
    return issued.access_token;
  };

  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_UPSTREAM_TIMEOUT_MS: '300' } });
    upstream = await startUpstream();
    const { store } = server.app;
    await createGroup(store, 'staff');
    await server.user('alice', 'alice-password-1', ['staff']);
    await server.user('carol', 'carol-password-1', []);
    await server.scope('orders', ['orders']);
    await server.scope('billing', ['billing']);
    await saveService(store, server.clock, { name: 'orders.v1:getOrder', upstream: `${upstream.url}/api/get`, methods: ['GET'] });
    await saveService(store, server.clock, { name: 'orders.v1:rest', upstream: `${upstream.url}/base/`, templates: ['* /rest/orders/**'] });
    await saveService(store, server.clock, { name: 'orders.v1:slow', upstream: `${upstream.url}/slow` });
    await saveService(store, server.clock, { name: 'orders.v1:down', upstream: `http://127.0.0.1:${await closedPort()}/` });
    await setAcl(store, { resource: 'orders', allow: ['staff'], deny: [] });
    clientId = (await server.client({ name: 'app', grants: ['password'], scopes: ['orders', 'billing'] })).id;

    const tokenError = await rawRequest(`${server.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=made_up',
    });
    assert.equal(tokenError.status, 400);
    reference = securityHeaders(tokenError.headers);
    for (const name of SECURITY_HEADERS.filter((name) => name !== 'strict-transport-security')) {
      assert.ok(reference[name] !== undefined, `/oauth/token's error answer has ${name}`);
    }
    assert.equal(reference['cache-control'], 'no-store');
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in any log line');
    await server.close();
    await upstream.close();
  });

  const expectAnswer = async (
    label: string,
    request: { path: string; method?: string; authorization?: string; body?: string },
    expected: { status: number; body: Record<string, string>; headers?: Record<string, string | undefined> },
  ) => {
    const headers: Record<string, string> = request.authorization === undefined ? {} : { authorization: request.authorization };
    const response = await rawRequest(`${server.url}${request.path}`, { method: request.method, headers, body: request.body });
    assert.equal(response.status, expected.status, label);
    assert.match(String(response.headers['content-type']), /^application\/json/, label);
    assert.deepEqual(JSON.parse(response.body), expected.body, label);
    assert.deepEqual(securityHeaders(response.headers), reference, label);
    for (const [name, value] of Object.entries(expected.headers ?? {})) assert.equal(response.headers[name], value, `${label}: ${name}`);
  };

  it('400 for a path with a dot segment', async () => {
    await expectAnswer(
      'bad path',
      { path: '/rest/orders/../admin', authorization: `Bearer ${await token('alice', ['orders'])}` },
      { status: 400, body: { error: 'invalid_request', error_description: 'the path has an empty, dot or malformed segment' } },
    );
  });

  it('401 without a token, with a realm challenge and no error code (RFC 6750 §3.1)', async () => {
    await expectAnswer(
      'missing token',
      { path: '/invoke/orders.v1/getOrder' },
      {
        status: 401,
        body: { error: 'unauthorized', error_description: 'a bearer token is required' },
        headers: { 'www-authenticate': 'Bearer realm="portcullis"' },
      },
    );
  });

  it('401 for an invalid token', async () => {
    await expectAnswer(
      'invalid token',
      { path: '/invoke/orders.v1/getOrder', authorization: 'Bearer not-a-real-token' },
      {
        status: 401,
        body: { error: 'invalid_token', error_description: 'the access token is invalid, expired or revoked' },
        headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
      },
    );
  });

  it('403 insufficient_scope, naming the scopes that would do', async () => {
    await expectAnswer(
      'insufficient scope',
      { path: '/invoke/orders.v1/getOrder', authorization: `Bearer ${await token('alice', ['billing'])}` },
      {
        status: 403,
        body: { error: 'insufficient_scope', error_description: 'the token does not have a scope that covers this service' },
        headers: { 'www-authenticate': 'Bearer error="insufficient_scope", scope="orders"' },
      },
    );
  });

  it('403 access_denied by the ACL, without a challenge', async () => {
    await expectAnswer(
      'access denied',
      { path: '/invoke/orders.v1/getOrder', authorization: `Bearer ${await token('carol', ['orders'])}` },
      { status: 403, body: { error: 'access_denied' }, headers: { 'www-authenticate': undefined } },
    );
  });

  it('404 for no service at the path, and under /invoke/pub.oauth', async () => {
    const authorization = `Bearer ${await token('alice', ['orders'])}`;
    for (const path of ['/invoke/orders.v1/nope', '/invoke/pub.oauth/whatever']) {
      await expectAnswer(path, { path, authorization }, { status: 404, body: { error: 'not_found', error_description: 'no service at this path' } });
    }
  });

  it('405 with Allow for a method the service does not accept', async () => {
    await expectAnswer(
      'wrong method',
      { path: '/invoke/orders.v1/getOrder', method: 'POST', authorization: `Bearer ${await token('alice', ['orders'])}`, body: 'x' },
      { status: 405, body: { error: 'method_not_allowed' }, headers: { allow: 'GET' } },
    );
  });

  it('502 for an unreachable upstream', async () => {
    await expectAnswer(
      'upstream down',
      { path: '/invoke/orders.v1/down', authorization: `Bearer ${await token('alice', ['orders'])}` },
      { status: 502, body: { error: 'bad_gateway', error_description: 'the upstream could not be reached' } },
    );
  });

  it('504 for an upstream that does not answer in time', async () => {
    await expectAnswer(
      'upstream slow',
      { path: '/invoke/orders.v1/slow', authorization: `Bearer ${await token('alice', ['orders'])}` },
      { status: 504, body: { error: 'upstream_timeout', error_description: 'the upstream did not answer within 300 ms' } },
    );
  });

  it('the upstream\'s own answer is relayed with the security headers added, its caching left to it', async () => {
    const response = await rawRequest(`${server.url}/rest/orders/1/status/201`, { headers: bearer(await token('alice', ['orders'])) });
    assert.equal(response.status, 201);
    assert.equal(response.headers['x-upstream'], 'yes');
    // The upstream sets none of them; the answer comes from Portcullis's origin, so it gets those of /oauth/token.
    const { 'cache-control': cacheControl, ...expected } = reference;
    const { 'cache-control': relayedCacheControl, ...relayed } = securityHeaders(response.headers);
    assert.deepEqual(relayed, expected);
    assert.equal(cacheControl, 'no-store');
    assert.equal(relayedCacheControl, undefined, 'Cache-Control stays the upstream\'s to choose');
  });

  describe('with an introspection endpoint that cannot be reached', () => {
    let remote: TestServer;
    before(async () => {
      remote = await startTestServer({
        env: {
          PORTCULLIS_INTROSPECTION_URL: `http://127.0.0.1:${await closedPort()}/oauth/introspect`,
          PORTCULLIS_INTROSPECTION_CLIENT_ID: 'gateway',
          PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'introspection-secret-for-tests',
        },
      });
    });
    after(() => remote.close());

    it('503 with Retry-After: the token is not judged bad', async () => {
      const response = await rawRequest(`${remote.url}/invoke/orders.v1/getOrder`, { headers: bearer('any-token-at-all') });
      assert.equal(response.status, 503);
      assert.deepEqual(JSON.parse(response.body), { error: 'temporarily_unavailable', error_description: 'the token cannot be verified right now' });
      assert.equal(response.headers['retry-after'], '1');
      assert.deepEqual(securityHeaders(response.headers), reference);
      assert.match(remote.logs.join(''), /introspection endpoint .* is unreachable/, 'the cause is in the log');
    });
  });
});
