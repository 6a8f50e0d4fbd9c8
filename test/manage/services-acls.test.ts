import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { UserError } from '../../src/core/errors.ts';
import { deleteAcl, setAcl } from '../../src/manage/acls.ts';
import { deleteService, saveService } from '../../src/manage/services.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

async function freshStore(): Promise<SqliteStore> {
  const store = new SqliteStore(':memory:');
  await store.migrate();
  return store;
}

describe('service and ACL management rules', () => {
  const clock = new ManualClock();

  it('refuses bad names, reserved names, bad upstreams, methods and templates', async () => {
    const store = await freshStore();
    const refuse = (input: Parameters<typeof saveService>[2], pattern: RegExp) =>
      assert.rejects(saveService(store, clock, input), (error: Error) => error instanceof UserError && pattern.test(error.message));
    await refuse({ name: 'nocolon', upstream: 'http://h/' }, /folder.sub:name/);
    await refuse({ name: 'pub.portcullis:whoami', upstream: 'http://h/' }, /reserved/);
    await refuse({ name: 'pub.oauth:getToken', upstream: 'http://h/' }, /reserved/);
    await refuse({ name: 'a:b', upstream: 'ftp://h/' }, /http\(s\)/);
    await refuse({ name: 'a:b', upstream: 'http://user:pw@h/' }, /without credentials/);
    await refuse({ name: 'a:b', upstream: 'not a url' }, /absolute/);
    await refuse({ name: 'a:b', upstream: 'http://h/', methods: ['GE T'] }, /not an HTTP method/);
    await refuse({ name: 'a:b', upstream: 'http://h/', templates: ['GET /other/x'] }, /must start with \/rest\//);
    await refuse({ name: 'a:b', upstream: 'http://h/', templates: ['GET /rest/../x'] }, /dot/);
    await store.close();
  });

  it('normalizes methods, keeps the creation time on replace, and deletes', async () => {
    const store = await freshStore();
    const first = await saveService(store, clock, { name: 'a:b', upstream: 'http://h:1/x', methods: ['get', 'GET'] });
    assert.deepEqual(first.methods, ['GET']);
    clock.advance(10);
    const replaced = await saveService(store, clock, { name: 'a:b', upstream: 'http://h:2/y', templates: ['* /rest/a/**'] });
    assert.equal(replaced.createdAt, first.createdAt);
    await deleteService(store, 'a:b');
    await assert.rejects(deleteService(store, 'a:b'), /no service a:b/);
    await store.close();
  });

  it('an ACL needs a folder or service name and existing groups', async () => {
    const store = await freshStore();
    await store.createGroup('staff');
    await assert.rejects(setAcl(store, { resource: 'GET /rest/x', allow: ['staff'], deny: [] }), /folder .* or a service/);
    await assert.rejects(setAcl(store, { resource: 'orders', allow: ['staff'], deny: ['ghosts'] }), /group ghosts does not exist/);
    assert.deepEqual(await setAcl(store, { resource: 'orders', allow: ['staff', 'staff'], deny: [] }), { resource: 'orders', allow: ['staff'], deny: [] });
    await deleteAcl(store, 'orders');
    await assert.rejects(deleteAcl(store, 'orders'), /no ACL on orders/);
    await store.close();
  });
});
