import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-config-'));
let files = 0;
function yamlFile(text: string): string {
  const path = join(dir, `portcullis-${++files}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** Asserts that loading fails with a ConfigError whose one line matches `message`. */
function rejects(flags: Parameters<typeof loadConfig>[0], env: NodeJS.ProcessEnv, message: RegExp): void {
  assert.throws(
    () => loadConfig(flags, env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.doesNotMatch(error.message, /\n/);
      assert.match(error.message, message);
      return true;
    },
  );
}

describe('configuration', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('defaults', () => {
    const config = loadConfig({ config: yamlFile('') }, {});
    assert.equal(config.port, 5555);
    assert.equal(config.host, '127.0.0.1');
    assert.equal(config.db, './data/portcullis.db');
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.issuer, 'http://127.0.0.1:5555');
    assert.equal(config.logLevel, 'info');
    assert.deepEqual(config.trustedProxies, []);
    assert.equal(config.tlsCert, undefined);
    assert.deepEqual(config.argon2, { memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    assert.equal(config.settingsMaxAge, 5);
    assert.equal(config.adminPassword, undefined);
    assert.equal(config.workers, 1, 'one process, no primary');
  });

  // docs/deployment.md "Sizing by cores".
  test('workers: a count, or auto for one per core, from the flag, the environment or the file', () => {
    assert.equal(loadConfig({ config: yamlFile(''), workers: '3' }, {}).workers, 3);
    assert.equal(loadConfig({ config: yamlFile('') }, { PORTCULLIS_WORKERS: 'auto' }).workers, availableParallelism());
    assert.equal(loadConfig({ config: yamlFile('workers: 2\n') }, {}).workers, 2);
    for (const bad of ['0', '1025', 'many', '-1', '2.5']) rejects({ config: yamlFile(''), workers: bad }, {}, /^--workers must be auto or an integer from 1 to 1024$/);
    rejects({ config: yamlFile('') }, { PORTCULLIS_WORKERS: 'all' }, /^PORTCULLIS_WORKERS must be auto or an integer from 1 to 1024$/);
  });

  test('precedence: flags > PORTCULLIS_* env > portcullis.yaml > defaults', () => {
    const file = yamlFile('port: 7001\nhost: 0.0.0.0\nlog_level: warn\ndb: /from/file.db\nsettings_max_age: 30\n');
    const env = { PORTCULLIS_PORT: '7002', PORTCULLIS_LOG_LEVEL: 'debug', PORTCULLIS_SETTINGS_MAX_AGE: '' };
    const config = loadConfig({ config: file, port: '7003' }, env);
    assert.equal(config.port, 7003, 'flag beats env and file');
    assert.equal(config.logLevel, 'debug', 'env beats file');
    assert.equal(config.host, '0.0.0.0', 'file beats default');
    assert.equal(config.db, '/from/file.db');
    assert.equal(config.settingsMaxAge, 30, 'an empty environment variable counts as unset');
    assert.equal(loadConfig({ config: file }, env).port, 7002);
    assert.equal(loadConfig({ config: file }, {}).port, 7001);
  });

  test('the file comes from --config, else PORTCULLIS_CONFIG', () => {
    const fromEnv = yamlFile('port: 6001\n');
    const fromFlag = yamlFile('port: 6002\n');
    assert.equal(loadConfig({}, { PORTCULLIS_CONFIG: fromEnv }).port, 6001);
    assert.equal(loadConfig({ config: fromFlag }, { PORTCULLIS_CONFIG: fromEnv }).port, 6002);
  });

  test('nested argon2 keys, and their lower bounds (docs/security.md)', () => {
    const config = loadConfig({ config: yamlFile('argon2:\n  memory_cost: 65536\n  time_cost: 3\n') }, { PORTCULLIS_ARGON2_PARALLELISM: '2' });
    assert.deepEqual(config.argon2, { memoryCost: 65536, timeCost: 3, parallelism: 2 });
    rejects({ config: yamlFile('argon2:\n  memory_cost: 1024\n') }, {}, /argon2\.memory_cost must be an integer from 19456/);
    rejects({}, { PORTCULLIS_ARGON2_TIME_COST: '1' }, /^PORTCULLIS_ARGON2_TIME_COST must be an integer from 2/);
  });

  test('trusted_proxies: a YAML list, a comma-separated string, env and flag', () => {
    const listed = loadConfig({ config: yamlFile('trusted_proxies:\n  - 10.0.0.1\n  - 192.168.0.0/16\n  - loopback\n') }, {});
    assert.deepEqual(listed.trustedProxies, ['10.0.0.1', '192.168.0.0/16', 'loopback']);
    const csv = loadConfig({ config: yamlFile('trusted_proxies: "10.0.0.1, ::1 ,fd00::/8"\n') }, {});
    assert.deepEqual(csv.trustedProxies, ['10.0.0.1', '::1', 'fd00::/8']);
    assert.deepEqual(loadConfig({}, { PORTCULLIS_TRUSTED_PROXIES: '172.16.0.0/12,,linklocal' }).trustedProxies, ['172.16.0.0/12', 'linklocal']);
    assert.deepEqual(loadConfig({ trustedProxies: '10.1.1.1' }, { PORTCULLIS_TRUSTED_PROXIES: '10.2.2.2' }).trustedProxies, ['10.1.1.1']);
    rejects({}, { PORTCULLIS_TRUSTED_PROXIES: '10.0.0.0/33' }, /^PORTCULLIS_TRUSTED_PROXIES: "10\.0\.0\.0\/33" is not/);
    rejects({}, { PORTCULLIS_TRUSTED_PROXIES: 'proxy.example.com' }, /"proxy\.example\.com" is not an IP address/);
    rejects({}, { PORTCULLIS_TRUSTED_PROXIES: '10.0.0.0/8/1' }, /"10\.0\.0\.0\/8\/1" is not/);
  });

  test('issuer: defaults to the listen address, validated when set', () => {
    assert.equal(loadConfig({ port: '8080', host: 'auth.local' }, {}).issuer, 'http://auth.local:8080');
    assert.equal(loadConfig({ host: '::1' }, {}).issuer, 'http://[::1]:5555');
    const tls = loadConfig({ tlsCert: import.meta.filename, tlsKey: import.meta.filename, port: '8443' }, {});
    assert.equal(tls.issuer, 'https://127.0.0.1:8443', 'https when serving TLS');
    assert.equal(loadConfig({}, { PORTCULLIS_ISSUER: 'https://auth.example.com/' }).issuer, 'https://auth.example.com', 'no trailing slash');
    assert.equal(loadConfig({ issuer: 'https://example.com/tenants/a' }, {}).issuer, 'https://example.com/tenants/a');
    rejects({ issuer: 'auth.example.com' }, {}, /^--issuer must be an absolute URL$/);
    rejects({ issuer: 'ftp://auth.example.com' }, {}, /^--issuer must be an http\(s\) URL without query or fragment$/);
    rejects({ issuer: 'https://auth.example.com/#x' }, {}, /^--issuer must be an http\(s\) URL without query or fragment$/);
  });

  test('each bad setting is named in one line', () => {
    rejects({ port: '65536' }, {}, /^--port must be an integer from 0 to 65535$/);
    rejects({}, { PORTCULLIS_PORT: 'eighty' }, /^PORTCULLIS_PORT must be an integer/);
    rejects({}, { PORTCULLIS_LOG_LEVEL: 'verbose' }, /^PORTCULLIS_LOG_LEVEL must be one of/);
    rejects({ databaseUrl: 'mysql://x' }, {}, /^--database-url must be a postgres:\/\/ URL$/);
    rejects({ tlsKey: import.meta.filename }, {}, /^tls_cert and tls_key must be set together$/);
    rejects({ tlsCert: join(dir, 'missing.pem'), tlsKey: import.meta.filename }, {}, /^tls_cert: file \S+missing\.pem does not exist$/);
    rejects({ config: yamlFile('port: 1\nlistne: x\n') }, {}, /portcullis-\d+\.yaml: unknown setting listne$/);
    rejects({ config: yamlFile('argon2:\n  memory: 1\n') }, {}, /unknown setting argon2\.memory$/);
    rejects({ config: yamlFile('port: [1\n') }, {}, /is not valid YAML/);
    rejects({ config: yamlFile('- port\n') }, {}, /must be a mapping$/);
    rejects({ config: join(dir, 'absent.yaml') }, {}, /^config file \S+absent\.yaml cannot be read$/);
    rejects({ config: yamlFile('settings_max_age: 99999\n') }, {}, /settings_max_age must be an integer from 0 to 3600$/);
    // Sent as a bearer token, so it must be one (RFC 6750 §2.1); the message never shows the value.
    for (const token of ['short-token', 'metrics!token#with$symbols', 'metrics-token=in-the-middle'])
      rejects({}, { PORTCULLIS_METRICS_TOKEN: token }, /^PORTCULLIS_METRICS_TOKEN must be at least 16 characters of A-Z a-z 0-9 - \. _ ~ \+ \/ \(then = at the end only\)$/);
    assert.equal(loadConfig({}, { PORTCULLIS_METRICS_TOKEN: 'metrics+token/for.tests_0123==' }).metricsToken, 'metrics+token/for.tests_0123==');
  });

  test('a number setting takes only an integer, not a boolean, an empty value or a hex literal', () => {
    rejects({ config: yamlFile('port: true\n') }, {}, /: port must be an integer/);
    rejects({ config: yamlFile('port:\n') }, {}, /: port must be an integer/);
    rejects({ port: '' }, {}, /^--port must be an integer/);
    rejects({}, { PORTCULLIS_PORT: '0x50' }, /^PORTCULLIS_PORT must be an integer/);
    rejects({}, { PORTCULLIS_SETTINGS_MAX_AGE: '1e2' }, /^PORTCULLIS_SETTINGS_MAX_AGE must be an integer/);
    assert.equal(loadConfig({}, { PORTCULLIS_PORT: ' 8080 ' }).port, 8080);
  });

  test('PORTCULLIS_ADMIN_PASSWORD is read from the environment only', () => {
    assert.equal(loadConfig({}, { PORTCULLIS_ADMIN_PASSWORD: 's3cret-admin' }).adminPassword, 's3cret-admin');
    rejects({ config: yamlFile('admin_password: x\n') }, {}, /unknown setting admin_password$/);
  });
});
