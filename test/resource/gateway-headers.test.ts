import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { saveService } from '../../src/manage/services.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { bearer, issueToken, rawRequest } from '../helpers/upstream.ts';

/**
 * An upstream that reads headers as a WSGI or CGI server does (PEP 3333, RFC 3875 §4.1.18): each
 * name upper-cased with `-` and `_` alike turned into `_` and prefixed `HTTP_`, repeated names
 * joined with `,`. It answers that environment as JSON, and sets the cookies and headers that
 * `?set=<json>` asks for.
 */
async function startWsgiUpstream(): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const environ: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const key = `HTTP_${req.rawHeaders[i]!.toUpperCase().replace(/-/g, '_')}`;
      environ[key] = environ[key] === undefined ? req.rawHeaders[i + 1]! : `${environ[key]},${req.rawHeaders[i + 1]}`;
    }
    req.resume();
    const set = new URL(req.url!, 'http://upstream').searchParams.get('set');
    const extra = set === null ? {} : (JSON.parse(set) as Record<string, string | string[]>);
    res.writeHead(200, { 'content-type': 'application/json', ...extra });
    res.end(JSON.stringify(environ));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function prepare(server: TestServer, upstreamUrl: string): Promise<string> {
  await server.user('alice', 'alice-password-1');
  await server.scope('app', ['app']);
  await saveService(server.app.store, server.clock, { name: 'app:echo', upstream: `${upstreamUrl}/echo` });
  const { id } = await server.client({ name: 'app', grants: ['password'], scopes: ['app'] });
  const issued = await issueToken(server.app, id, { username: 'alice', scope: ['app'] });
  server.secrets.add(issued.access_token);
  return issued.access_token;
}

/** The attack of issue 18 (finding 2 and 13): identity and forwarding headers forged by the client. */
const FORGED = {
  X_Portcullis_User: 'Administrator',
  'X-Portcullis_Scope': 'admin',
  X_Forwarded_For: '10.6.6.6',
  'X-Forwarded-For': '10.7.7.7',
  X_Forwarded_Proto: 'https',
  X_Forwarded_Host: 'evil.example',
  Forwarded: 'for=10.8.8.8;host=evil.example',
  'X-Real-IP': '10.9.9.9',
  X_Real_IP: '10.9.9.9',
  Proxy_Authorization: 'Basic c2VjcmV0',
};

describe('gateway headers against a WSGI-style upstream (docs/resource-server.md "Headers")', () => {
  let server: TestServer;
  let upstream: Awaited<ReturnType<typeof startWsgiUpstream>>;
  let access: string;
  let publicHost: string;
  const call = (query = '', headers: Record<string, string> = {}) =>
    rawRequest(`${server.url}/invoke/app/echo${query}`, { headers: { ...bearer(access), ...headers } });

  before(async () => {
    upstream = await startWsgiUpstream();
    server = await startTestServer();
    access = await prepare(server, upstream.url);
    publicHost = new URL(server.app.ctx.issuer).host;
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
    await upstream.close();
  });

  it('a header spelled with `_` cannot add to or replace an identity or forwarding header', async () => {
    const response = await call('', FORGED);
    assert.equal(response.status, 200);
    const environ = JSON.parse(response.body) as Record<string, string>;
    assert.equal(environ.HTTP_X_PORTCULLIS_USER, 'alice', 'not "Administrator,alice"');
    assert.equal(environ.HTTP_X_PORTCULLIS_SCOPE, 'app');
    assert.equal(environ.HTTP_X_FORWARDED_FOR, '127.0.0.1');
    assert.equal(environ.HTTP_X_REAL_IP, '127.0.0.1');
    assert.equal(environ.HTTP_X_FORWARDED_PROTO, 'http');
    assert.equal(environ.HTTP_X_FORWARDED_HOST, publicHost);
    assert.equal(environ.HTTP_FORWARDED, `for=127.0.0.1;proto=http;host="${publicHost}"`);
    assert.equal(environ.HTTP_PROXY_AUTHORIZATION, undefined, 'hop-by-hop with `_` is dropped too');
    assert.equal(environ.HTTP_AUTHORIZATION, undefined);
  });

  it('an arbitrary Host never reaches the upstream as X-Forwarded-Host: the configured public host does', async () => {
    const response = await call('', { host: 'evil.example/reset?x=' });
    assert.equal(response.status, 200);
    const environ = JSON.parse(response.body) as Record<string, string>;
    assert.equal(environ.HTTP_X_FORWARDED_HOST, publicHost);
    assert.equal(environ.HTTP_HOST, new URL(upstream.url).host);
    assert.doesNotMatch(response.body, /evil/);
  });

  it('an upstream can never set or clear Portcullis\'s cookies, or any cookie under /admin', async () => {
    const cookies = [
      'portcullis_admin=planted; Path=/admin; HttpOnly',
      'portcullis_admin=; Path=/; Max-Age=0',
      'PORTCULLIS-ADMIN=x',
      'portcullis-session=fixed; Path=/',
      '__Host-portcullis-session=fixed; Path=/; Secure',
      'theme=dark; path=/ADMIN/api',
      'other=1; Path=/admin',
      'app=1; Path=/invoke/app',
      'admin-ish=1; Path=/administrator',
    ];
    const response = await call(`?set=${encodeURIComponent(JSON.stringify({ 'set-cookie': cookies }))}`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.headers['set-cookie'], ['app=1; Path=/invoke/app', 'admin-ish=1; Path=/administrator']);
  });

  it('the upstream cannot weaken the security headers of Portcullis\'s origin', async () => {
    const weak = { 'content-security-policy': 'script-src *', 'x-frame-options': 'ALLOWALL', 'cache-control': 'max-age=60' };
    const response = await call(`?set=${encodeURIComponent(JSON.stringify(weak))}`);
    assert.equal(response.status, 200);
    assert.match(String(response.headers['content-security-policy']), /^default-src 'none'/);
    assert.equal(response.headers['x-frame-options'], 'DENY');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['cache-control'], 'max-age=60', 'caching stays the upstream\'s to choose');
  });
});

describe('gateway forwarding headers behind a trusted proxy', () => {
  let server: TestServer;
  let upstream: Awaited<ReturnType<typeof startWsgiUpstream>>;
  let access: string;

  before(async () => {
    upstream = await startWsgiUpstream();
    server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1' } });
    access = await prepare(server, upstream.url);
  });
  after(async () => {
    await server.close();
    await upstream.close();
  });

  it('states the address and protocol the trusted proxy reported, in all five headers alike', async () => {
    const response = await rawRequest(`${server.url}/invoke/app/echo`, {
      headers: { ...bearer(access), 'x-forwarded-for': '2001:db8::7', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example', X_Real_IP: '10.9.9.9' },
    });
    assert.equal(response.status, 200);
    const environ = JSON.parse(response.body) as Record<string, string>;
    const host = new URL(server.app.ctx.issuer).host;
    assert.equal(environ.HTTP_X_FORWARDED_FOR, '2001:db8::7');
    assert.equal(environ.HTTP_X_REAL_IP, '2001:db8::7');
    assert.equal(environ.HTTP_X_FORWARDED_PROTO, 'https');
    assert.equal(environ.HTTP_X_FORWARDED_HOST, host, 'the proxy\'s X-Forwarded-Host is not taken either');
    assert.equal(environ.HTTP_FORWARDED, `for="[2001:db8::7]";proto=https;host="${host}"`);
  });
});
