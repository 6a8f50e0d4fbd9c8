import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashSecret } from '../../src/core/secrets.ts';
import { adminCall, type AdminSessionCookie, passwordGrantToken, signIn } from '../helpers/admin.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';

interface RouteCase {
  method: string;
  /** As the OpenAPI document names it. */
  route: string;
  /** A concrete path under /admin/api. */
  path: string;
  /** A body the schema refuses, and the field the 400 must name. */
  invalid?: { body?: unknown; path?: string; field: string };
}

/** Every authenticated admin route. The test below checks this list against the OpenAPI document. */
const ROUTES: RouteCase[] = [
  { method: 'GET', route: '/session', path: '/session' },
  { method: 'DELETE', route: '/session', path: '/session' },
  { method: 'GET', route: '/settings', path: '/settings' },
  { method: 'PATCH', route: '/settings', path: '/settings', invalid: { body: { access_token_ttl: 0 }, field: 'access_token_ttl' } },
  { method: 'GET', route: '/clients', path: '/clients' },
  { method: 'POST', route: '/clients', path: '/clients', invalid: { body: { type: 'confidential', grants: ['password'] }, field: 'name' } },
  { method: 'GET', route: '/clients/{client_id}', path: '/clients/nope' },
  { method: 'PATCH', route: '/clients/{client_id}', path: '/clients/nope', invalid: { body: { grants: ['implicit'] }, field: 'grants' } },
  { method: 'DELETE', route: '/clients/{client_id}', path: '/clients/nope' },
  { method: 'POST', route: '/clients/{client_id}/secret', path: '/clients/nope/secret' },
  { method: 'GET', route: '/clients/{client_id}/scopes', path: '/clients/nope/scopes' },
  { method: 'PUT', route: '/clients/{client_id}/scopes', path: '/clients/nope/scopes', invalid: { body: {}, field: 'scopes' } },
  { method: 'GET', route: '/scopes', path: '/scopes' },
  { method: 'POST', route: '/scopes', path: '/scopes', invalid: { body: { name: 5 }, field: 'name' } },
  { method: 'GET', route: '/scopes/{name}', path: '/scopes/nope' },
  { method: 'PUT', route: '/scopes/{name}', path: '/scopes/nope', invalid: { body: { description: 'x' }, field: 'resources' } },
  { method: 'DELETE', route: '/scopes/{name}', path: '/scopes/nope' },
  { method: 'GET', route: '/scopes/{name}/clients', path: '/scopes/nope/clients' },
  { method: 'PUT', route: '/scopes/{name}/clients', path: '/scopes/nope/clients', invalid: { body: { client_ids: 'a' }, field: 'client_ids' } },
  { method: 'GET', route: '/users', path: '/users' },
  { method: 'POST', route: '/users', path: '/users', invalid: { body: { username: 'u', password: 'p', colour: 'red' }, field: 'colour' } },
  { method: 'GET', route: '/users/{username}', path: '/users/nope' },
  { method: 'PATCH', route: '/users/{username}', path: '/users/nope', invalid: { body: { enabled: 'yes' }, field: 'enabled' } },
  { method: 'PUT', route: '/users/{username}/password', path: '/users/nope/password', invalid: { body: { password: '' }, field: 'password' } },
  { method: 'DELETE', route: '/users/{username}', path: '/users/nope' },
  { method: 'GET', route: '/groups', path: '/groups' },
  { method: 'POST', route: '/groups', path: '/groups', invalid: { body: {}, field: 'name' } },
  { method: 'DELETE', route: '/groups/{name}', path: '/groups/nope' },
  { method: 'GET', route: '/tokens', path: '/tokens', invalid: { path: '/tokens?state=bogus', field: 'state' } },
  { method: 'DELETE', route: '/tokens/{id}', path: '/tokens/nope' },
  { method: 'GET', route: '/services', path: '/services' },
  { method: 'PUT', route: '/services/{name}', path: '/services/nope.v1:svc', invalid: { body: { methods: ['GET'] }, field: 'upstream' } },
  { method: 'DELETE', route: '/services/{name}', path: '/services/nope.v1:svc' },
  { method: 'GET', route: '/acls', path: '/acls' },
  { method: 'PUT', route: '/acls/{resource}', path: '/acls/nope', invalid: { body: { allow: [] }, field: 'deny' } },
  { method: 'DELETE', route: '/acls/{resource}', path: '/acls/nope' },
  { method: 'GET', route: '/audit', path: '/audit', invalid: { path: '/audit?limit=0', field: 'limit' } },
  { method: 'GET', route: '/throttle', path: '/throttle' },
  { method: 'POST', route: '/throttle/unlock', path: '/throttle/unlock', invalid: { body: { username: 'a', colour: 'red' }, field: 'colour' } },
  { method: 'GET', route: '/directory', path: '/directory' },
  { method: 'POST', route: '/directory/test', path: '/directory/test', invalid: { body: { username: 'a', colour: 'red' }, field: 'colour' } },
  { method: 'GET', route: '/users/{username}/sessions', path: '/users/nope/sessions' },
  { method: 'DELETE', route: '/users/{username}/sessions', path: '/users/nope/sessions' },
  { method: 'DELETE', route: '/users/{username}/sessions/{session_id}', path: '/users/nope/sessions/nope' },
  { method: 'GET', route: '/users/{username}/consents', path: '/users/nope/consents' },
  { method: 'GET', route: '/clients/{client_id}/consents', path: '/clients/nope/consents' },
  { method: 'DELETE', route: '/users/{username}/consents/{client_id}', path: '/users/nope/consents/nope' },
  { method: 'GET', route: '/users/{username}/mfa', path: '/users/nope/mfa' },
  { method: 'POST', route: '/users/{username}/mfa', path: '/users/nope/mfa' },
  { method: 'DELETE', route: '/users/{username}/mfa', path: '/users/nope/mfa' },
];

/** A body that passes validation, so that the 401/403 checks are not about the body. */
const VALID_BODY: Record<string, unknown> = {
  'PATCH /settings': { require_https: true },
  'POST /clients': { name: 'x', type: 'public', grants: ['password'] },
  'PATCH /clients/{client_id}': { enabled: true },
  'PUT /clients/{client_id}/scopes': { scopes: [] },
  'POST /scopes': { name: 'x' },
  'PUT /scopes/{name}': { description: '', resources: [] },
  'PUT /scopes/{name}/clients': { client_ids: [] },
  'POST /users': { username: 'x', password: 'p' },
  'PATCH /users/{username}': { enabled: true },
  'PUT /users/{username}/password': { password: 'p' },
  'POST /groups': { name: 'x' },
  'PUT /services/{name}': { upstream: 'http://127.0.0.1:9/x' },
  'PUT /acls/{resource}': { allow: [], deny: [] },
  'POST /throttle/unlock': { username: 'nobody' },
  'POST /directory/test': {},
};

describe('admin API access control', () => {
  let server: TestServer;
  let session: AdminSessionCookie;
  let nonAdminToken: string;
  let adminTokenWithoutScope: string;
  let adminToken: string;

  before(async () => {
    server = await startTestServer();
    session = await signIn(server);
    await server.user('alice', 'alice-password', []);
    nonAdminToken = await passwordGrantToken(server, 'alice', 'alice-password', ['admin']);
    adminTokenWithoutScope = await passwordGrantToken(server, 'Administrator', 'admin-password-for-tests', ['orders']);
    adminToken = await passwordGrantToken(server, 'Administrator', 'admin-password-for-tests', ['admin']);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  test('the route list covers every route in the OpenAPI document', async () => {
    const response = await fetch(`${server.url}/admin/api/openapi.json`);
    assert.equal(response.status, 200);
    const document = (await response.json()) as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path.replace('/admin/api', '')}`))
      .filter((route) => route !== 'POST /session')
      .sort();
    assert.deepEqual(documented, ROUTES.map((route) => `${route.method} ${route.route}`).sort());
  });

  for (const route of ROUTES) {
    const name = `${route.method} ${route.route}`;
    const body = VALID_BODY[name];

    test(`${name}: 401 without credentials`, async () => {
      const response = await adminCall(server, route.method, route.path, { body });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'unauthorized');
    });

    test(`${name}: 403 for a non-administrator's token with the admin scope`, async () => {
      const response = await adminCall(server, route.method, route.path, { body, bearer: nonAdminToken });
      assert.equal(response.status, 403);
      assert.equal(response.body.error, 'forbidden');
    });

    test(`${name}: 403 for an administrator's token without the admin scope`, async () => {
      const response = await adminCall(server, route.method, route.path, { body, bearer: adminTokenWithoutScope });
      assert.equal(response.status, 403);
      assert.equal(response.body.error, 'insufficient_scope');
      assert.match(response.headers.get('www-authenticate') ?? '', /insufficient_scope/);
    });

    if (route.invalid) {
      const invalid = route.invalid;
      test(`${name}: 400 naming ${invalid.field} for an invalid request`, async () => {
        const response = await adminCall(server, route.method, invalid.path ?? route.path, { body: invalid.body, session });
        assert.equal(response.status, 400);
        assert.equal(response.body.error, 'invalid_request');
        assert.equal(response.body.field, invalid.field);
        assert.match(response.body.error_description, new RegExp(invalid.field));
      });
    }

    if (route.method !== 'GET') {
      test(`${name}: 403 with the session but without the CSRF token`, async () => {
        const response = await adminCall(server, route.method, route.path, { body, session, csrf: false });
        assert.equal(response.status, 403);
        assert.equal(response.body.error, 'csrf_failed');
      });
    }
  }

  test('a wrong CSRF token is refused like a missing one', async () => {
    const response = await adminCall(server, 'POST', '/groups', { body: { name: 'g' }, session, csrf: 'x'.repeat(43) });
    assert.equal(response.status, 403);
    assert.equal(response.body.error, 'csrf_failed');
  });

  test("a CSRF token of another session is refused", async () => {
    const other = await signIn(server);
    const response = await adminCall(server, 'POST', '/groups', { body: { name: 'g' }, session, csrf: other.csrf });
    assert.equal(response.status, 403);
  });

  test('an administrator bearer token with the admin scope works, without CSRF token', async () => {
    const response = await adminCall(server, 'POST', '/groups', { body: { name: 'bearer-made' }, bearer: adminToken });
    assert.equal(response.status, 201);
    assert.equal(response.body.name, 'bearer-made');
  });

  test('an unknown, malformed or refresh bearer token is 401 invalid_token', async () => {
    for (const bearer of ['not-a-token', '']) {
      const response = await adminCall(server, 'GET', '/clients', { bearer });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_token');
    }
  });

  test('a revoked bearer token is refused', async () => {
    const token = await passwordGrantToken(server, 'Administrator', 'admin-password-for-tests', ['admin']);
    assert.equal((await adminCall(server, 'GET', '/clients', { bearer: token })).status, 200);
    const id = hashSecret(token);
    assert.equal((await adminCall(server, 'DELETE', `/tokens/${id}`, { session })).status, 204);
    const response = await adminCall(server, 'GET', '/clients', { bearer: token });
    assert.equal(response.status, 401);
  });

  test('an invalid JSON body or a form body is 400/415, with nothing echoed', async () => {
    const response = await fetch(`${server.url}/admin/api/groups`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: '{"name": <script>',
    });
    assert.equal(response.status, 400);
    assert.doesNotMatch(await response.text(), /<script/);
    const form = await fetch(`${server.url}/admin/api/groups`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=x',
    });
    assert.equal(form.status, 415);
  });

  test('admin API responses are not cached', async () => {
    const response = await adminCall(server, 'GET', '/clients', { session });
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });
});
