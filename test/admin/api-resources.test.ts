import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminCall, type AdminSessionCookie, signIn } from '../helpers/admin.ts';
import { findLeaks, postForm, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

describe('admin API resources', () => {
  let server: TestServer;
  let session: AdminSessionCookie;
  const call = (method: string, path: string, body?: unknown) => adminCall(server, method, path, { session, body });

  before(async () => {
    server = await startTestServer();
    session = await signIn(server);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  test('settings: read and change; the token endpoint follows', async () => {
    const initial = (await call('GET', '/settings')).body;
    assert.equal(initial.access_token_ttl, 3600);
    assert.equal(initial.require_https, true);
    const changed = await call('PATCH', '/settings', { access_token_ttl: 120 });
    assert.deepEqual(changed.body, { ...initial, access_token_ttl: 120 });
    const client = await server.client({ grants: ['client_credentials'] });
    const token = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [client.id, client.secret!], secrets: server.secrets });
    assert.equal(token.body.expires_in, 120);
    assert.equal((await call('PATCH', '/settings', { access_token_ttl: 'never' })).body.access_token_ttl, 'never');
    await call('PATCH', '/settings', { access_token_ttl: 3600 });
  });

  test('clients: register returns the secret once; it never appears again', async () => {
    await call('POST', '/scopes', { name: 'orders', resources: ['orders'] });
    const created = await call('POST', '/clients', { name: 'Shop', version: '1', type: 'confidential', grants: ['password'], scopes: ['orders'] });
    assert.equal(created.status, 201);
    const secret = created.body.client_secret as string;
    server.secrets.add(secret);
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const id = created.body.client.client_id as string;
    const shown = await call('GET', `/clients/${id}`);
    assert.equal(shown.body.name, 'Shop');
    assert.deepEqual(shown.body.scopes, ['orders']);
    for (const response of [shown, await call('GET', '/clients')]) {
      assert.ok(!JSON.stringify(response.body).includes(secret));
      assert.ok(!JSON.stringify(response.body).includes('secret_hash'));
    }
    const duplicate = await call('POST', '/clients', { name: 'Shop', version: '1', type: 'public', grants: ['password'] });
    assert.equal(duplicate.status, 409);
  });

  test('clients: a rule of the manage layer comes back naming its field', async () => {
    const response = await call('POST', '/clients', { name: 'Bad/Name', type: 'public', grants: ['password'] });
    assert.equal(response.status, 400);
    assert.equal(response.body.field, 'name');
    const publicCc = await call('POST', '/clients', { name: 'Cli', type: 'public', grants: ['client_credentials'] });
    assert.equal(publicCc.body.field, 'grants');
  });

  test('clients: edit, disable/enable, rotate the secret, delete', async () => {
    const created = await call('POST', '/clients', { name: 'Edit me', type: 'confidential', grants: ['client_credentials'] });
    const id = created.body.client.client_id as string;
    server.secrets.add(created.body.client_secret);
    const edited = await call('PATCH', `/clients/${id}`, { description: 'changed', refresh_limit: 0, access_token_ttl: 'never' });
    assert.equal(edited.body.description, 'changed');
    assert.equal(edited.body.refresh_limit, 0);
    assert.equal(edited.body.access_token_ttl, 'never');
    assert.equal((await call('PATCH', `/clients/${id}`, { enabled: false })).body.enabled, false);
    const refused = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [id, created.body.client_secret] });
    assert.equal(refused.status, 401);
    assert.equal((await call('PATCH', `/clients/${id}`, { enabled: true })).body.enabled, true);

    const rotated = await call('POST', `/clients/${id}/secret`);
    server.secrets.add(rotated.body.client_secret);
    assert.notEqual(rotated.body.client_secret, created.body.client_secret);
    const old = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [id, created.body.client_secret] });
    assert.equal(old.status, 401);
    const fresh = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [id, rotated.body.client_secret], secrets: server.secrets });
    assert.equal(fresh.status, 200);

    assert.equal((await call('DELETE', `/clients/${id}`)).status, 204);
    assert.equal((await call('GET', `/clients/${id}`)).status, 404);
    assert.equal((await call('DELETE', `/clients/${id}`)).status, 404);
  });

  test('scopes: create, conflict, replace, delete', async () => {
    assert.equal((await call('POST', '/scopes', { name: 'inventory', description: 'stock', resources: ['inventory.v1:get'] })).status, 201);
    assert.equal((await call('POST', '/scopes', { name: 'inventory' })).status, 409);
    const bad = await call('POST', '/scopes', { name: 'bad', resources: ['not a resource!'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'resources');
    const replaced = await call('PUT', '/scopes/inventory', { description: 'all stock', resources: ['inventory', 'GET /rest/stock/{id}'], public: true });
    assert.deepEqual(replaced.body, { name: 'inventory', description: 'all stock', resources: ['inventory', 'GET /rest/stock/{id}'], public: true });
    assert.equal((await call('PUT', '/scopes/missing', { description: '', resources: [] })).status, 404);
    assert.equal((await call('DELETE', '/scopes/inventory')).status, 204);
    assert.equal((await call('GET', '/scopes/inventory')).status, 404);
  });

  test('scope and client association, from both sides', async () => {
    await call('POST', '/scopes', { name: 'a' });
    await call('POST', '/scopes', { name: 'b' });
    const one = (await call('POST', '/clients', { name: 'One', type: 'public', grants: ['password'] })).body.client.client_id;
    const two = (await call('POST', '/clients', { name: 'Two', type: 'public', grants: ['password'] })).body.client.client_id;
    assert.deepEqual((await call('PUT', `/clients/${one}/scopes`, { scopes: ['a', 'b'] })).body, ['a', 'b']);
    assert.deepEqual((await call('GET', '/scopes/a/clients')).body, [one]);
    assert.deepEqual((await call('PUT', '/scopes/a/clients', { client_ids: [two] })).body, [two]);
    assert.deepEqual((await call('GET', `/clients/${one}/scopes`)).body, ['b']);
    assert.deepEqual((await call('GET', `/clients/${two}/scopes`)).body, ['a']);
    const unknownScope = await call('PUT', `/clients/${one}/scopes`, { scopes: ['nope'] });
    assert.equal(unknownScope.status, 400);
    assert.equal(unknownScope.body.field, 'scopes');
    const unknownClient = await call('PUT', '/scopes/a/clients', { client_ids: [one, 'nope'] });
    assert.equal(unknownClient.status, 400);
    assert.deepEqual((await call('GET', '/scopes/a/clients')).body, [two], 'nothing changed');
  });

  test('users and groups: create, groups, password ends tokens, disable, delete', async () => {
    assert.equal((await call('POST', '/groups', { name: 'staff' })).status, 201);
    assert.equal((await call('POST', '/groups', { name: 'staff' })).status, 409);
    server.secrets.add('bob-password-1');
    const created = await call('POST', '/users', { username: 'bob', password: 'bob-password-1', groups: ['staff'] });
    assert.equal(created.status, 201);
    assert.deepEqual(created.body.groups, ['staff']);
    assert.ok(!JSON.stringify(created.body).includes('argon2'));
    const missingGroup = await call('POST', '/users', { username: 'carol', password: TEST_PASSWORD, groups: ['nope'] });
    assert.equal(missingGroup.status, 400);
    assert.equal((await call('GET', '/groups')).body.find((group: { name: string }) => group.name === 'staff').members, 1);

    const client = await server.client({ grants: ['password'] });
    const grant = () =>
      postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'bob', password: 'bob-password-1' }, { basic: [client.id, client.secret!], secrets: server.secrets });
    assert.equal((await grant()).status, 200);
    assert.equal((await call('GET', '/tokens?username=bob&state=active')).body.length, 1);
    server.secrets.add('bob-password-2');
    assert.equal((await call('PUT', '/users/bob/password', { password: 'bob-password-2' })).status, 204);
    assert.equal((await call('GET', '/tokens?username=bob&state=active')).body.length, 0, 'setting the password ended the tokens');
    assert.equal((await grant()).status, 400, 'the old password no longer works');

    assert.deepEqual((await call('PATCH', '/users/bob', { groups: [] })).body.groups, []);
    assert.equal((await call('PATCH', '/users/bob', { enabled: false })).body.enabled, false);
    assert.equal((await call('DELETE', '/groups/Administrators')).status, 400);
    assert.equal((await call('DELETE', '/groups/staff')).status, 204);
    assert.equal((await call('DELETE', '/users/bob')).status, 204);
    assert.equal((await call('GET', '/users/bob')).status, 404);
  });

  test('an administrator cannot lock themselves out', async () => {
    assert.equal((await call('PATCH', '/users/Administrator', { enabled: false })).body.field, 'enabled');
    assert.equal((await call('PATCH', '/users/Administrator', { groups: [] })).body.field, 'groups');
    assert.equal((await call('DELETE', '/users/Administrator')).status, 400);
    assert.deepEqual((await call('GET', '/users/Administrator')).body.groups, ['Administrators']);
  });

  test('tokens: list with filters, revoke one grant', async () => {
    await server.user('dana', 'dana-password');
    const client = await server.client({ grants: ['password', 'refresh_token'] });
    const other = await server.client({ grants: ['client_credentials'] });
    const issued = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'dana', password: 'dana-password' }, { basic: [client.id, client.secret!], secrets: server.secrets });
    await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [other.id, other.secret!], secrets: server.secrets });
    const dana = (await call('GET', `/tokens?username=dana`)).body as { id: string; kind: string; client_id: string }[];
    assert.deepEqual(dana.map((token) => token.kind).sort(), ['access', 'refresh']);
    assert.ok(dana.every((token) => token.client_id === client.id));
    const byClient = (await call('GET', `/tokens?client_id=${other.id}`)).body as { username: string | null }[];
    assert.equal(byClient.length, 1);
    assert.equal(byClient[0]!.username, null);
    assert.equal((await call('GET', '/tokens?limit=1')).body.length, 1);

    const access = dana.find((token) => token.kind === 'access')!;
    assert.equal((await call('DELETE', `/tokens/${access.id}`)).status, 204);
    const after = (await call('GET', '/tokens?username=dana')).body as { state: string }[];
    assert.ok(after.every((token) => token.state === 'revoked'), 'the whole grant is revoked');
    const refresh = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: issued.body.refresh_token as string }, { basic: [client.id, client.secret!] });
    assert.equal(refresh.status, 400);
    assert.equal((await call('DELETE', '/tokens/unknown')).status, 404);
  });

  test('the OpenAPI document describes the routes with their schemas', async () => {
    const response = await fetch(`${server.url}/admin/api/openapi.json`);
    const document = await response.json();
    assert.equal(document.openapi, '3.0.3');
    const create = document.paths['/admin/api/clients'].post;
    assert.deepEqual(create.requestBody.content['application/json'].schema.required, ['name', 'type', 'grants']);
    assert.ok(document.components.securitySchemes.bearer);
  });
});
