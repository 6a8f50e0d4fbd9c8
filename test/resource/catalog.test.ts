import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { ResourceCatalog } from '../../src/resource/catalog.ts';
import { PrincipalDirectory } from '../../src/resource/principals.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

describe('ResourceCatalog and PrincipalDirectory (bounded staleness, no query per request)', () => {
  it('serves one snapshot until maxAge has passed, then reloads', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const clock = new ManualClock();
    const catalog = new ResourceCatalog(store, clock, 5);
    await store.saveService({ name: 'a:one', upstream: 'http://h/', methods: [], templates: ['GET /rest/z', 'GET /rest/{x}'], createdAt: 0 });
    const first = await catalog.snapshot();
    assert.deepEqual([...first.services.keys()], ['a:one']);
    assert.deepEqual(first.routes.map((r) => r.template.text), ['GET /rest/z', 'GET /rest/{x}'], 'most specific first');
    await store.saveService({ name: 'a:two', upstream: 'http://h/', methods: [], templates: [], createdAt: 0 });
    clock.advance(4);
    assert.equal(await catalog.snapshot(), first, 'within the bound: same snapshot');
    clock.advance(1);
    assert.deepEqual([...(await catalog.snapshot()).services.keys()], ['a:one', 'a:two']);
    await store.close();
  });

  it('shares one reload between concurrent requests', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    let loads = 0;
    const counting = Object.assign(Object.create(store) as SqliteStore, {
      listServices: () => {
        loads++;
        return store.listServices();
      },
    });
    const catalog = new ResourceCatalog(counting, new ManualClock(), 5);
    const [a, b] = await Promise.all([catalog.snapshot(), catalog.snapshot()]);
    assert.equal(a, b);
    assert.equal(loads, 1);
    await store.close();
  });

  it('resolves users and service users, with groups cached for maxAge', async () => {
    const store = new SqliteStore(':memory:');
    await store.migrate();
    const clock = new ManualClock();
    await store.createGroup('g');
    await store.createUser({ username: 'svc', passwordHash: 'x', groups: ['g'], enabled: true, createdAt: 0 });
    await store.createClient({
      id: 'c1', name: 'c', version: '', description: '', type: 'confidential', secretHash: 'h', grants: ['client_credentials'],
      scopes: [], accessTokenTtl: 'global', refreshLimit: null, refreshTokenTtl: 1, enabled: true, introspect: false, trustedForEndUserAddress: false, serviceUser: 'svc', redirectUris: [], consent: 'remember', createdAt: 0,
    });
    const directory = new PrincipalDirectory(store, clock, 5);
    const token = { clientId: 'c1', username: null, scope: [], expiresAt: null };
    assert.deepEqual(await directory.resolve(token), { user: 'svc', groups: ['g'] });
    await store.updateUser('svc', { groups: [] });
    assert.deepEqual(await directory.resolve(token), { user: 'svc', groups: ['g'] }, 'cached');
    clock.advance(5);
    assert.deepEqual(await directory.resolve(token), { user: 'svc', groups: [] });
    await store.updateUser('svc', { enabled: false });
    clock.advance(5);
    assert.deepEqual(await directory.resolve(token), { user: 'svc', groups: undefined }, 'a disabled service user has no groups');
    assert.deepEqual(await directory.resolve({ ...token, clientId: 'nope' }), { user: null, groups: undefined });
    await store.close();
  });
});
