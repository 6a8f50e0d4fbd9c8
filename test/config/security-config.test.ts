import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DEFAULT_THROTTLE } from '../../src/authz/throttle.ts';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/core/errors.ts';

describe('security settings in the configuration', () => {
  test('defaults: throttling on, strict refresh reuse', () => {
    const config = loadConfig({ config: undefined }, {});
    assert.deepEqual(config.throttle, DEFAULT_THROTTLE);
    assert.equal(config.throttle.enabled, true);
    assert.equal(config.refreshReuseLeeway, 0);
  });

  test('YAML sets them, the environment overrides YAML', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
    try {
      const file = join(dir, 'portcullis.yaml');
      writeFileSync(file, 'refresh_reuse_leeway: 5\nthrottle:\n  user_ip:\n    failures: 5\n    block: 60\n  user:\n    max_delay_ms: 2000\n');
      const config = loadConfig({ config: file }, { PORTCULLIS_THROTTLE_USER_IP_FAILURES: '7' });
      assert.equal(config.refreshReuseLeeway, 5);
      assert.deepEqual(config.throttle.userIp, { failures: 7, windowSeconds: DEFAULT_THROTTLE.userIp.windowSeconds, blockSeconds: 60 });
      assert.equal(config.throttle.user.maxDelayMs, 2000);
      writeFileSync(file, 'throttle:\n  enabled: false\n');
      assert.equal(loadConfig({ config: file }, {}).throttle.enabled, false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wrong value stops start-up with one line naming the setting', () => {
    assert.throws(() => loadConfig({ config: undefined }, { PORTCULLIS_THROTTLE_IP_FAILURES: '0' }), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /PORTCULLIS_THROTTLE_IP_FAILURES must be an integer/);
      return true;
    });
    assert.throws(() => loadConfig({ config: undefined }, { PORTCULLIS_THROTTLE_ENABLED: 'maybe' }), /PORTCULLIS_THROTTLE_ENABLED must be true or false/);
    assert.throws(() => loadConfig({ config: undefined }, { PORTCULLIS_REFRESH_REUSE_LEEWAY: '3600' }), /PORTCULLIS_REFRESH_REUSE_LEEWAY must be an integer from 0 to 300/);
  });
});

describe('HTTP timeouts and connection caps (docs/security.md "Timeouts and connections")', () => {
  test('defaults to the documented 10 s / 30 s / 10 s and 10,000 connections, 256 per address', () => {
    assert.deepEqual(loadConfig({}, {}).http, {
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      keepAliveTimeoutMs: 10_000,
      maxConnections: 10_000,
      maxConnectionsPerAddress: 256,
    });
  });

  test('reads them from the environment, and refuses a headers timeout longer than the request timeout', () => {
    const env = { PORTCULLIS_HTTP_HEADERS_TIMEOUT_MS: '2000', PORTCULLIS_HTTP_REQUEST_TIMEOUT_MS: '5000', PORTCULLIS_HTTP_MAX_CONNECTIONS_PER_ADDRESS: '0' };
    const http = loadConfig({}, env).http;
    assert.deepEqual([http.headersTimeoutMs, http.requestTimeoutMs, http.maxConnectionsPerAddress], [2000, 5000, 0]);
    assert.throws(() => loadConfig({}, { ...env, PORTCULLIS_HTTP_HEADERS_TIMEOUT_MS: '6000' }), /http.headers_timeout_ms must not exceed http.request_timeout_ms/);
    assert.throws(() => loadConfig({}, { PORTCULLIS_HTTP_MAX_CONNECTIONS: '-1' }), /PORTCULLIS_HTTP_MAX_CONNECTIONS/);
  });
});
