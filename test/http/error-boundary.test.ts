import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { InvalidScope, UserError } from '../../src/core/errors.ts';
import { errorBoundary } from '../../src/http/error-boundary.ts';
import { createLogger } from '../../src/http/logger.ts';
import { Metrics, registerMetrics } from '../../src/http/metrics.ts';
import { addSecurityHeaders } from '../../src/http/security-headers.ts';

/** The one error boundary, on a bare Fastify: what each kind of failure becomes (hardening, docs/errors.md). */
describe('the error boundary', () => {
  let app: FastifyInstance;
  const logs: string[] = [];
  const metrics = new Metrics();

  before(async () => {
    app = Fastify({
      loggerInstance: createLogger('info', new Writable({ write: (chunk, _encoding, done) => (logs.push(String(chunk)), done()) })),
      bodyLimit: 64,
    }) as unknown as FastifyInstance;
    addSecurityHeaders(app);
    app.setErrorHandler(errorBoundary(metrics));
    registerMetrics(app, metrics);
    metrics.observePool(() => {
      throw new Error('pool stats failed: secret detail');
    });
    app.get('/oauth', async () => {
      throw new InvalidScope('malformed scope parameter');
    });
    app.get('/operator', async () => {
      throw new UserError('no scope x', 'not_found');
    });
    app.get('/operator-field', async () => {
      throw new UserError('scope x already exists', 'conflict', 'name');
    });
    app.get('/unexpected', async () => {
      throw new Error('database exploded: secret detail');
    });
    app.post('/json', { schema: { body: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } }, async () => ({}));
    await app.ready();
  });
  after(() => app.close());

  const call = (method: 'GET' | 'POST', url: string, payload?: string, contentType = 'application/json') =>
    app.inject({ method, url, payload, headers: payload === undefined ? {} : { 'content-type': contentType } });

  test('a catalogue error is written as it is, never cached, with the security headers', async () => {
    const response = await call('GET', '/oauth');
    assert.equal(response.statusCode, 400);
    assert.deepEqual(response.json(), { error: 'invalid_scope', error_description: 'malformed scope parameter' });
    assert.equal(response.headers['cache-control'], 'no-store');
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
  });

  test("an operator's mistake is answered with its code's status, and its field", async () => {
    const missing = await call('GET', '/operator');
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: 'not_found', error_description: 'no scope x' });
    const taken = await call('GET', '/operator-field');
    assert.equal(taken.statusCode, 409);
    assert.deepEqual(taken.json(), { error: 'conflict', error_description: 'scope x already exists', field: 'name' });
  });

  test('framework refusals are invalid_request with fixed texts, nothing echoed', async () => {
    const cases: [string, string, number, string][] = [
      ['{"name": <script>', 'application/json', 400, 'malformed request'],
      ['{"other": 1}', 'application/json', 400, "name must have required property 'name'"],
      ['{"name": {}}', 'application/json', 400, 'name must be string'],
      [`{"name": "${'x'.repeat(100)}"}`, 'application/json', 413, 'request body too large'],
      ['name=<script>', 'application/x-www-form-urlencoded', 415, 'unsupported content type; send application/json'],
    ];
    for (const [payload, contentType, status, text] of cases) {
      const response = await call('POST', '/json', payload, contentType);
      assert.equal(response.statusCode, status, payload);
      assert.equal(response.json().error, 'invalid_request', payload);
      assert.equal(response.json().error_description, text, payload);
      assert.doesNotMatch(response.body, /<script|xxxx/);
    }
  });

  test('anything unexpected is a bare server_error; the cause is in the log only', async () => {
    for (const url of ['/unexpected', '/metrics']) {
      const response = await call('GET', url);
      assert.equal(response.statusCode, 500, url);
      assert.deepEqual(response.json(), { error: 'server_error' }, url);
      assert.equal(response.headers['x-frame-options'], 'DENY', url);
    }
    const text = logs.join('');
    assert.match(text, /database exploded/);
    assert.match(text, /pool stats failed/);
  });

  test('counts every failure under its route and code', async () => {
    const failures = await metrics.failures.get();
    const count = (route: string, error: string) =>
      failures.values.find((value) => value.labels.route === route && value.labels.error === error)?.value;
    assert.equal(count('/oauth', 'invalid_scope'), 1);
    assert.equal(count('/operator', 'not_found'), 1);
    assert.equal(count('/json', 'invalid_request'), 5);
    assert.equal(count('/unexpected', 'server_error'), 1);
  });
});
