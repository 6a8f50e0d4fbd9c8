import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/core/errors.ts';

describe('resource server configuration', () => {
  it('defaults to local verification, a 30 s cache bound and a 30 s upstream timeout', () => {
    const config = loadConfig({ config: undefined }, {});
    assert.deepEqual(config.resourceServer, { introspection: undefined, jwt: undefined, cacheMaxAge: 30, upstreamTimeoutMs: 30_000, maxConcurrentPerService: 100 });
  });

  it('reads remote introspection from the environment', () => {
    const config = loadConfig(
      { config: undefined },
      {
        PORTCULLIS_INTROSPECTION_URL: 'https://auth.example.com/oauth/introspect',
        PORTCULLIS_INTROSPECTION_CLIENT_ID: 'rs',
        PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'secret',
        PORTCULLIS_INTROSPECTION_CACHE_MAX_AGE: '5',
        PORTCULLIS_UPSTREAM_TIMEOUT_MS: '2500',
        PORTCULLIS_MAX_CONCURRENT_PER_SERVICE: '7',
      },
    );
    assert.deepEqual(config.resourceServer, {
      introspection: { url: 'https://auth.example.com/oauth/introspect', clientId: 'rs', clientSecret: 'secret' },
      // JWT access tokens offline: keys, issuer and audience derived from the introspection URL's origin.
      jwt: { jwksUrl: 'https://auth.example.com/oauth/jwks', issuer: 'https://auth.example.com', audience: 'https://auth.example.com' },
      cacheMaxAge: 5,
      upstreamTimeoutMs: 2500,
      maxConcurrentPerService: 7,
    });
  });

  it('fails at start-up with one line naming the setting', () => {
    const fails = (env: Record<string, string>, pattern: RegExp) =>
      assert.throws(() => loadConfig({ config: undefined }, env), (error: Error) => error instanceof ConfigError && pattern.test(error.message));
    fails({ PORTCULLIS_INTROSPECTION_URL: 'https://a/introspect' }, /needs resource_server.client_id/);
    fails({ PORTCULLIS_INTROSPECTION_CLIENT_ID: 'rs', PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 's' }, /need resource_server.introspection_url/);
    fails({ PORTCULLIS_INTROSPECTION_URL: 'ftp://a', PORTCULLIS_INTROSPECTION_CLIENT_ID: 'a', PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'b' }, /PORTCULLIS_INTROSPECTION_URL/);
    fails({ PORTCULLIS_INTROSPECTION_CACHE_MAX_AGE: '-1' }, /PORTCULLIS_INTROSPECTION_CACHE_MAX_AGE must be an integer/);
    const remote = { PORTCULLIS_INTROSPECTION_URL: 'https://a/introspect', PORTCULLIS_INTROSPECTION_CLIENT_ID: 'a', PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'b' };
    fails({ ...remote, PORTCULLIS_INTROSPECTION_JWKS_URL: 'not a url' }, /PORTCULLIS_INTROSPECTION_JWKS_URL must be an absolute http\(s\) URL/);
    fails({ ...remote, PORTCULLIS_INTROSPECTION_ISSUER: 'ftp://a' }, /PORTCULLIS_INTROSPECTION_ISSUER must be an absolute http\(s\) URL/);
    fails({ ...remote, PORTCULLIS_INTROSPECTION_AUDIENCE: 'relative' }, /PORTCULLIS_INTROSPECTION_AUDIENCE must be an absolute URI/);
    fails({ PORTCULLIS_INTROSPECTION_JWKS_URL: 'https://a/jwks' }, /need resource_server.introspection_url/);
  });

  it('takes the JWT settings as given; the audience defaults to the issuer', () => {
    const config = loadConfig(
      { config: undefined },
      {
        PORTCULLIS_INTROSPECTION_URL: 'https://internal:8443/oauth/introspect',
        PORTCULLIS_INTROSPECTION_CLIENT_ID: 'rs',
        PORTCULLIS_INTROSPECTION_CLIENT_SECRET: 'secret',
        PORTCULLIS_INTROSPECTION_JWKS_URL: 'https://keys.example/jwks.json',
        PORTCULLIS_INTROSPECTION_ISSUER: 'https://auth.example',
      },
    );
    assert.deepEqual(config.resourceServer.jwt, { jwksUrl: 'https://keys.example/jwks.json', issuer: 'https://auth.example', audience: 'https://auth.example' });
  });
});
