import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';

/** Every error code an OAuth endpoint may answer with (RFC 6749 §5.2, RFC 7009 §2.2.1, docs/oauth.md). */
const RFC_ERRORS = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'unsupported_token_type',
  'too_many_attempts',
]);

const PATHS = ['/oauth/token', '/oauth/introspect', '/oauth/revoke', '/invoke/pub.oauth/getToken', '/invoke/pub.oauth/introspectToken', '/invoke/pub.oauth/revokeToken'];
const NAMES = ['grant_type', 'username', 'password', 'scope', 'refresh_token', 'token', 'token_type_hint', 'client_id', 'client_secret'];
const printable = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)), maxLength: 60 });

/** Hardening, not normative: whatever arrives, the answer is a well-formed RFC error or a success, never a 5xx. */
describe('malformed requests at the OAuth endpoints (property-based)', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  before(async () => {
    server = await startTestServer();
    await server.scope('orders');
    client = await server.client({ grants: ['password', 'refresh_token', 'client_credentials'], scopes: ['orders'], introspect: true });
    await server.user('fuzzed', 'fuzzed user password');
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  const value = fc.oneof(
    printable,
    fc.string({ maxLength: 40 }),
    fc.constantFrom('password', 'refresh_token', 'client_credentials', 'authorization_code', 'orders', 'fuzzed', '', '%', '%zz', '%E0%A4%A', '\u0000'),
    fc.integer({ min: 1000, max: 20_000 }).map((length) => 'A'.repeat(length)),
  );
  const name = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...NAMES) }, { weight: 1, arbitrary: printable });
  const formBody = fc.array(fc.tuple(name, value), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString());
  const rawBody = fc.oneof(
    formBody,
    // Broken percent-encoding and raw separators, not produced by URLSearchParams.
    fc.array(fc.oneof(printable, fc.constantFrom('%', '%zz', '&&', '==', '=', '+', 'grant_type=password')), { maxLength: 10 }).map((parts) => parts.join('&')),
    // Non-UTF-8 bytes.
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
    fc.constant(''),
  );
  const contentType = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/x-www-form-urlencoded') },
    { weight: 4, arbitrary: fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded; charset=iso-8859-1', 'APPLICATION/X-WWW-FORM-URLENCODED', '*/*', ';;;', '') },
    { weight: 1, arbitrary: printable },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
  const authorization = fc.oneof(
    { weight: 3, arbitrary: fc.constant(undefined) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('right-id', 'wrong-id', ''), fc.constantFrom('right-secret', 'wrong', '', '%', '%zz', ':')).map(([id, secret]) =>
        `Basic ${Buffer.from(`${id === 'right-id' ? client.id : id}:${secret === 'right-secret' ? client.secret : secret}`).toString('base64')}`) },
    { weight: 1, arbitrary: printable.map((text) => `Basic ${text}`) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => `Basic ${Buffer.from(bytes).toString('base64')}`) },
    { weight: 1, arbitrary: fc.constantFrom('Basic', 'Basic ', 'Basic !!!!', `Basic ${Buffer.from('no-colon').toString('base64')}`, 'Bearer abc', 'basic') },
    { weight: 1, arbitrary: printable },
  );
  const request = fc.record({
    method: fc.oneof({ weight: 9, arbitrary: fc.constant('POST' as const) }, { weight: 1, arbitrary: fc.constantFrom('GET' as const, 'PUT' as const, 'DELETE' as const) }),
    path: fc.constantFrom(...PATHS),
    contentType,
    body: rawBody,
    authorization,
  });

  test('always a well-formed RFC error (or a success), never a 5xx', async () => {
    let count = 0;
    await fc.assert(
      fc.asyncProperty(request, async (input) => {
        count++;
        const headers: Record<string, string> = {};
        if (input.contentType !== undefined) headers['content-type'] = input.contentType;
        if (input.authorization !== undefined) headers.authorization = input.authorization;
        const response = await server.app.server.inject({
          method: input.method,
          url: input.path,
          headers,
          ...(input.method === 'GET' ? {} : { payload: input.body }),
        });
        assert.ok(response.statusCode < 500, `status ${response.statusCode}: ${response.body}`);
        assert.match(String(response.headers['content-type']), /^application\/json/);
        const body = JSON.parse(response.body) as Record<string, unknown>;
        if (response.statusCode >= 400) {
          assert.ok([400, 401, 413, 415, 429].includes(response.statusCode), `status ${response.statusCode}`);
          assert.ok(RFC_ERRORS.has(body.error as string), `error ${String(body.error)}`);
          assert.ok(body.error_description === undefined || typeof body.error_description === 'string');
          assert.deepEqual(Object.keys(body).filter((key) => key !== 'error' && key !== 'error_description'), []);
          if (response.statusCode === 401 && input.authorization?.startsWith('Basic')) {
            assert.match(String(response.headers['www-authenticate']), /^Basic/);
          }
          if (response.statusCode === 429) assert.ok(Number(response.headers['retry-after']) >= 1);
        } else {
          assert.equal(response.statusCode, 200);
        }
        if (typeof body.access_token === 'string') server.secrets.add(body.access_token);
        if (typeof body.refresh_token === 'string') server.secrets.add(body.refresh_token);
      }),
      { numRuns: 2000 },
    );
    assert.equal(count >= 2000, true);
  });
});
