import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.ts';
import { rawRequest } from '../helpers/upstream.ts';

/**
 * A path Fastify cannot decode (a malformed percent-escape) is refused before any route is found.
 * Hardening: it must still be Portcullis's own `400 invalid_request` (docs/errors.md), with the
 * security headers and `Cache-Control: no-store`, and never echo the path back.
 */
describe('malformed URL escapes get our own 400', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  for (const path of ['/oauth/token%c0', '/admin/%ff', '/admin/api/clients/%e0%a4', '/invoke/orders/%ff', '/rest/%c0x', '/healthz%']) {
    it(`${path} → 400 invalid_request in Portcullis's shape`, async () => {
      const response = await rawRequest(`${server.url}${path}`, { method: path.startsWith('/oauth') ? 'POST' : 'GET' });
      assert.equal(response.status, 400);
      assert.deepEqual(JSON.parse(response.body), { error: 'invalid_request', error_description: 'the path has a malformed percent-escape' });
      assert.doesNotMatch(response.body, /FST_|%|valid url/);
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['x-frame-options'], 'DENY');
      assert.match(String(response.headers['content-security-policy']), /default-src 'none'/);
    });
  }

  it('counts the refusals as invalid_request in the metrics', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /portcullis_request_failures_total\{route="unmatched",error="invalid_request"\} [1-9]/);
  });
});
