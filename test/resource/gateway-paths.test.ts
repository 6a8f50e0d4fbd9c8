import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { posix } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { saveService } from '../../src/manage/services.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';
import { bearer, issueToken, rawRequest } from '../helpers/upstream.ts';

/**
 * An upstream that reads paths as Tomcat and Spring do, and then some: each segment loses its `;`
 * parameter, is decoded (twice, as a framework that decodes again would), put in Unicode
 * compatibility form and trimmed; then dot segments are resolved. It answers the path it resolved.
 */
async function startLenientUpstream(): Promise<{ url: string; resolved: string[]; close(): Promise<void> }> {
  const resolved: string[] = [];
  const decode = (value: string) => {
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  };
  const server: Server = createServer((req, res) => {
    const path = req.url!.split('?')[0]!;
    const segments = path.split('/').map((segment) => decode(decode(segment.split(';')[0]!)).normalize('NFKC').trim());
    const result = posix.normalize(segments.join('/'));
    resolved.push(result);
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ resolved: result }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    resolved,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Issue 18, finding 3: the scope check and the upstream must read the same path (docs/resource-server.md "Scope coverage"). */
describe('gateway paths against an upstream that strips `;` parameters', () => {
  let server: TestServer;
  let upstream: Awaited<ReturnType<typeof startLenientUpstream>>;
  let access: string;

  before(async () => {
    upstream = await startLenientUpstream();
    server = await startTestServer();
    await server.scope('public', ['GET /rest/public/**']);
    await saveService(server.app.store, server.clock, { name: 'site:rest', upstream: `${upstream.url}/`, templates: ['* /rest/**'] });
    const { id } = await server.client({ name: 'app', grants: ['client_credentials'], scopes: ['public'] });
    access = (await issueToken(server.app, id, { username: null, scope: ['public'] })).access_token;
    server.secrets.add(access);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
    await upstream.close();
  });

  it('a path the token covers reaches the upstream as it was checked', async () => {
    const response = await rawRequest(`${server.url}/rest/public/a;v=1/b`, { headers: bearer(access) });
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { resolved: '/rest/public/a/b' });
  });

  const attacks = [
    '/rest/public/..;/secret/x',
    '/rest/public/..;jsessionid=1/secret/x',
    '/rest/public/%2e%2e;/secret/x',
    '/rest/public/%252e%252e/secret/x',
    '/rest/public/..%09/secret/x',
    '/rest/public/..%20/secret/x',
    '/rest/public/.%20./secret/x',
    '/rest/public/%EF%BC%8E%EF%BC%8E/secret/x',
    '/rest/public/%252F..%252Fsecret/x',
  ];
  for (const path of attacks) {
    it(`${path} → 400, and the upstream never sees it`, async () => {
      const before = upstream.resolved.length;
      const response = await rawRequest(`${server.url}${path}`, { headers: bearer(access) });
      assert.equal(response.status, 400);
      assert.equal((JSON.parse(response.body) as { error: string }).error, 'invalid_request');
      assert.equal(upstream.resolved.length, before);
    });
  }

  it('the upstream never resolved a path outside the covered folder', () => {
    assert.ok(upstream.resolved.length > 0);
    for (const path of upstream.resolved) assert.match(path, /^\/rest\/public\//);
  });
});
