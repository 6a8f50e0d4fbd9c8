import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { createLogger, scrubLine } from '../../src/http/logger.ts';
import { DEFAULT_HTTP_LIMITS as HTTP_LIMITS } from '../../src/config/config.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

describe('HTTP hygiene', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  before(async () => {
    server = await startTestServer();
    client = await server.client({ grants: ['client_credentials'] });
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  test('security headers on every response, errors and 404s included', async () => {
    const responses = [
      await fetch(`${server.url}/healthz`),
      await fetch(`${server.url}/no/such/route`),
      await fetch(`${server.url}/oauth/token`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'text/plain' } }),
    ];
    for (const response of responses) {
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'.*frame-ancestors 'none'/);
      assert.equal(response.headers.get('strict-transport-security'), null, 'no HSTS over plain HTTP');
    }
  });

  test('an OAuth form over 16 KiB is refused with an RFC error', async () => {
    const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials', padding: 'x'.repeat(17 * 1024) }, { basic: [client.id, client.secret!] });
    assert.equal(response.status, 413);
    assert.equal(response.body.error, 'invalid_request');
  });

  test('the node server has header, request and keep-alive timeouts', () => {
    const node = server.app.server.server;
    assert.equal(node.headersTimeout, HTTP_LIMITS.headersTimeoutMs);
    assert.equal(node.requestTimeout, HTTP_LIMITS.requestTimeoutMs);
    assert.equal(node.keepAliveTimeout, HTTP_LIMITS.keepAliveTimeoutMs);
    assert.ok(node.headersTimeout <= node.requestTimeout);
  });
});

describe('log redaction: credentials cannot be logged', () => {
  const token = 'Q2hhbmdlTWVQbGVhc2VUaGlzSXNBVG9rZW5WYWx1ZTE'; // 43 characters, like every generated credential
  const password = 'my very secret password';

  function capture(): { lines: string[]; logger: ReturnType<typeof createLogger> } {
    const lines: string[] = [];
    const logger = createLogger('trace', new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) }));
    return { lines, logger };
  }

  test('headers, bodies and known fields are censored, at any depth', () => {
    const { lines, logger } = capture();
    logger.info({ req: { headers: { authorization: `Bearer ${token}` }, method: 'POST', url: '/x' } }, 'request');
    logger.info({ headers: { authorization: `Basic ${Buffer.from(`id:${password}`).toString('base64')}`, cookie: 'sid=abc123456' } });
    logger.info({ body: `grant_type=password&password=${encodeURIComponent(password)}` });
    logger.info({ deep: { deeper: { password, client_secret: password, refresh_token: token } } });
    logger.info({ user: { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g' } });
    logger.error({ err: new Error(`failed for password=${password} with Bearer ${token}`) }, 'boom');
    logger.info(`a token slipped into a message: ${token}`);
    const text = lines.join('');
    assert.equal(lines.length, 7);
    for (const secret of [token, password, encodeURIComponent(password), 'abc123456', '$argon2id$', Buffer.from(`id:${password}`).toString('base64')]) {
      assert.ok(!text.includes(secret), `leaked ${secret}`);
    }
    assert.match(text, /\[REDACTED\]/);
  });

  test('scrubLine leaves ordinary text alone', () => {
    const line = '{"level":30,"msg":"request completed","res":{"statusCode":200},"responseTime":1.2,"url":"/oauth/token"}';
    assert.equal(scrubLine(line), line);
  });

  test('the request serializer drops the query string and every header', async () => {
    const server = await startTestServer();
    try {
      // A failed request is logged at info (a successful one only at debug).
      await fetch(`${server.url}/no-such-path?access_token=${token}`, { headers: { authorization: `Bearer ${token}` } });
      const text = server.logs.join('');
      assert.ok(text.includes('/no-such-path'));
      assert.ok(!text.includes(token));
      assert.ok(!/authorization/i.test(text));
    } finally {
      await server.close();
    }
  });
});
