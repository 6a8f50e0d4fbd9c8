import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

describe('SqliteStore services and ACLs (migration 0002)', () => {
  it('saves, replaces, lists and deletes services', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    await store.saveService({ name: 'b:svc', upstream: 'http://h/b', methods: [], templates: [], createdAt: 1 });
    await store.saveService({ name: 'a:svc', upstream: 'http://h/a', methods: ['GET', 'POST'], templates: ['GET /rest/a/{id}'], createdAt: 2 });
    await store.saveService({ name: 'b:svc', upstream: 'http://h/b2', methods: ['PUT'], templates: ['* /rest/b/**'], createdAt: 3 });
    assert.deepEqual(await store.findService('b:svc'), {
      name: 'b:svc',
      upstream: 'http://h/b2',
      methods: ['PUT'],
      templates: ['* /rest/b/**'],
      createdAt: 1,
    });
    assert.deepEqual((await store.listServices()).map((s) => s.name), ['a:svc', 'b:svc']);
    assert.equal(await store.deleteService('a:svc'), true);
    assert.equal(await store.deleteService('a:svc'), false);
    assert.equal(await store.findService('a:svc'), undefined);
    await store.close();
  });

  it('sets, replaces, lists and deletes ACLs, with group names that contain spaces', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    await store.setAcl({ resource: 'orders', allow: ['Order Desk', 'ops'], deny: [] });
    await store.setAcl({ resource: 'orders', allow: ['Order Desk'], deny: ['Temp Staff'] });
    await store.setAcl({ resource: 'a:b', allow: [], deny: [] });
    assert.deepEqual(await store.listAcls(), [
      { resource: 'a:b', allow: [], deny: [] },
      { resource: 'orders', allow: ['Order Desk'], deny: ['Temp Staff'] },
    ]);
    assert.equal(await store.deleteAcl('orders'), true);
    assert.equal(await store.deleteAcl('orders'), false);
    await store.close();
  });
});
