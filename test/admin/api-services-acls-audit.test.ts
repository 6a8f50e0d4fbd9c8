import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { adminCall, type AdminSessionCookie, signIn } from '../helpers/admin.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';

describe('admin API: services, ACLs and the audit log', () => {
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

  test('services: create, replace, list, delete', async () => {
    const created = await call('PUT', '/services/orders.v1:getOrder', { upstream: 'http://orders:8080/api/get', methods: ['get'] });
    assert.equal(created.status, 200);
    assert.equal(created.body.name, 'orders.v1:getOrder');
    assert.deepEqual(created.body.methods, ['GET'], 'normalised by the shared manage layer');
    const replaced = await call('PUT', '/services/orders.v1:getOrder', {
      upstream: 'http://orders:8080/api/v2',
      templates: ['GET /rest/orders/{id}'],
    });
    assert.deepEqual(replaced.body.templates, ['GET /rest/orders/{id}']);
    assert.deepEqual(replaced.body.methods, []);
    assert.equal(replaced.body.created_at, created.body.created_at);
    const listed = await call('GET', '/services');
    assert.deepEqual(listed.body.map((service: { name: string }) => service.name), ['orders.v1:getOrder']);
    assert.equal(listed.body[0].upstream, 'http://orders:8080/api/v2');
    assert.equal((await server.app.store.findService('orders.v1:getOrder'))?.upstream, 'http://orders:8080/api/v2', 'the store the gateway reads');
    assert.equal((await call('DELETE', '/services/orders.v1:getOrder')).status, 204);
    const again = await call('DELETE', '/services/orders.v1:getOrder');
    assert.equal(again.status, 404);
    assert.equal(again.body.error, 'not_found');
  });

  test('services: the manage layer\'s rules come back naming their field', async () => {
    const cases: [string, unknown, string][] = [
      ['/services/no-colon', { upstream: 'http://h/x' }, 'name'],
      ['/services/pub.oauth:getToken', { upstream: 'http://h/x' }, 'name'],
      ['/services/a:b', { upstream: 'ftp://h/x' }, 'upstream'],
      ['/services/a:b', { upstream: 'http://user:pw@h/x' }, 'upstream'],
      ['/services/a:b', { upstream: 'http://h/x', methods: ['GE T'] }, 'methods'],
      ['/services/a:b', { upstream: 'http://h/x', templates: ['GET /other/x'] }, 'templates'],
    ];
    for (const [path, body, field] of cases) {
      const response = await call('PUT', path, body);
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(response.body.field, field, `${path} ${JSON.stringify(body)}`);
    }
    assert.deepEqual((await call('GET', '/services')).body, []);
  });

  test('ACLs: groups must exist; set, replace, list, delete', async () => {
    const unknown = await call('PUT', '/acls/orders', { allow: ['staff'], deny: [] });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.field, 'allow');
    assert.match(unknown.body.error_description, /group staff does not exist/);
    await call('POST', '/groups', { name: 'staff' });
    await call('POST', '/groups', { name: 'contractors' });
    const denyUnknown = await call('PUT', '/acls/orders', { allow: ['staff'], deny: ['ghosts'] });
    assert.equal(denyUnknown.body.field, 'deny');
    const badResource = await call('PUT', '/acls/GET%20%2Frest%2Fx', { allow: [], deny: [] });
    assert.equal(badResource.body.field, 'resource');

    const set = await call('PUT', '/acls/orders', { allow: ['staff'], deny: ['contractors'] });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body, { resource: 'orders', allow: ['staff'], deny: ['contractors'] });
    await call('PUT', '/acls/orders.v1:drop', { allow: [], deny: [] });
    const listed = await call('GET', '/acls');
    assert.deepEqual(listed.body.map((acl: { resource: string }) => acl.resource).sort(), ['orders', 'orders.v1:drop']);
    assert.equal((await call('DELETE', '/acls/orders.v1:drop')).status, 204);
    assert.equal((await call('DELETE', '/acls/orders.v1:drop')).status, 404);
    assert.deepEqual((await call('GET', '/acls')).body, [{ resource: 'orders', allow: ['staff'], deny: ['contractors'] }]);
  });

  test('audit: admin changes show up, newest first, paged without overlap, filtered', async () => {
    await call('PUT', '/services/audit.demo:svc', { upstream: 'http://h/x?api_key=abc' });
    await call('POST', '/users', { username: 'audited', password: 'audited-password' });
    server.secrets.add('audited-password');
    const first = await call('GET', '/audit?limit=3');
    assert.equal(first.status, 200);
    assert.equal(first.body.records.length, 3);
    assert.equal(first.body.records[0].type, 'user.created');
    assert.equal(first.body.records[0].username, 'audited');
    assert.equal(first.body.records[1].type, 'service.saved');
    assert.equal(first.body.records[1].detail.service, 'audit.demo:svc');
    assert.ok(!JSON.stringify(first.body).includes('api_key'), 'the upstream URL (which may hold a key) is not recorded');
    const ids = first.body.records.map((record: { id: number }) => record.id);
    assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first');
    assert.equal(first.body.next_before, ids[2]);

    const seen = new Set<number>(ids);
    let before = first.body.next_before as number | null;
    while (before !== null) {
      const page = await call('GET', `/audit?limit=3&before=${before}`);
      for (const record of page.body.records) {
        assert.ok(!seen.has(record.id), 'no record twice');
        assert.ok(record.id < before);
        seen.add(record.id);
      }
      before = page.body.next_before;
    }
    const all = await call('GET', '/audit?limit=500');
    assert.equal(all.body.next_before, null);
    assert.equal(seen.size, all.body.records.length);

    const acls = await call('GET', '/audit?type=acl.set');
    assert.ok(acls.body.records.length >= 2);
    assert.ok(acls.body.records.every((record: { type: string }) => record.type === 'acl.set'));
    assert.ok(acls.body.records.some((record: { detail: { resource: string } }) => record.detail.resource === 'orders'));
    assert.ok((await call('GET', '/audit?type=acl.deleted')).body.records.length >= 1);
    const byUser = await call('GET', '/audit?username=audited');
    assert.deepEqual(byUser.body.records.map((record: { type: string }) => record.type), ['user.created']);
    assert.deepEqual((await call('GET', '/audit?client_id=none-such')).body, { records: [], next_before: null });
  });

  test('audit: a failed admin sign-in is there at once, without the password', async () => {
    server.secrets.add('not-the-password');
    const response = await fetch(`${server.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'Administrator', password: 'not-the-password' }),
    });
    assert.equal(response.status, 401);
    const failed = await call('GET', '/audit?type=login.failed&username=Administrator');
    assert.equal(failed.body.records[0].reason, 'wrong_password');
    assert.equal(failed.body.records[0].detail.via, 'admin');
    assert.ok(!JSON.stringify(failed.body).includes('not-the-password'));
  });

  test('audit: every kind of admin change is recorded, at the server\'s clock', async () => {
    server.clock.advance(1000);
    const now = new Date(server.clock.nowSeconds() * 1000).toISOString();
    const client = await call('POST', '/clients', { name: 'Audited app', type: 'public', grants: ['password'] });
    const id = client.body.client.client_id as string;
    await call('PATCH', '/settings', { access_token_ttl: 600 });
    await call('POST', '/groups', { name: 'audited-group' });
    await call('DELETE', '/groups/audited-group');
    await call('POST', '/scopes', { name: 'audited-scope' });
    await call('PUT', '/scopes/audited-scope/clients', { client_ids: [id] });
    await call('PUT', `/clients/${id}/scopes`, { scopes: [] });
    await call('PATCH', `/clients/${id}`, { enabled: false });
    await call('DELETE', '/scopes/audited-scope');
    await call('DELETE', `/clients/${id}`);
    const records = (await call('GET', '/audit?limit=10')).body.records as { type: string; at: string; detail: Record<string, unknown> }[];
    assert.deepEqual(
      records.map((record) => record.type).reverse(),
      [
        'client.created',
        'settings.changed',
        'group.created',
        'group.deleted',
        'scope.saved',
        'client.updated',
        'client.updated',
        'client.disabled',
        'scope.deleted',
        'client.deleted',
      ],
    );
    assert.ok(records.every((record) => record.at === now), 'the injected clock, not the system clock');
    assert.deepEqual(records.find((record) => record.type === 'settings.changed')!.detail, { access_token_ttl: 600 });
  });
});
