import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { type AdminSession, type Client, DEFAULT_SETTINGS, type TokenRecord } from '../../src/core/model.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { tokenState } from '../../src/core/token-state.ts';
import { ConflictError, MissingReferenceError, type Store } from '../../src/store/store.ts';
import { authorizationContract } from './contract-authorization.ts';
import { mfaContract } from './contract-mfa.ts';
import { client, grant, NOW, saveGrant, successors, user } from './contract-fixtures.ts';

/** A fresh, empty database for one test, and a way to open a second store on the same one. */
export interface StoreFixture {
  store: Store;
  /** Another store (its own connections) on the same database, as a second instance would have. */
  twin(): Promise<Store>;
  /**
   * Waits until the store has seen what a twin committed, where that takes a moment: the
   * PostgreSQL store's caches hear of it by notification (docs/architecture.md). Absent, a store
   * sees it from its next request on.
   */
  settle?(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * The storage contract: every Store implementation passes these same tests unchanged.
 * `open` gives each test a fresh, migrated, empty database.
 */
export function storeContract(label: string, open: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${label}`, () => {
    let fixture: StoreFixture;
    let store: Store;

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture.cleanup();
    });

    describe('schema and connection', () => {
      it('migrates once: a second run applies nothing', async () => {
        assert.deepEqual(await store.migrate(), []);
        await store.ping();
      });

      it('migrates from several instances at once without error', async () => {
        const others = await Promise.all([fixture.twin(), fixture.twin(), fixture.twin()]);
        try {
          const applied = await Promise.all(others.map((other) => other.migrate()));
          assert.deepEqual(applied, [[], [], []]);
        } finally {
          await Promise.all(others.map((other) => other.close()));
        }
      });
    });

    describe('settings', () => {
      it('starts from the defaults and keeps updates', async () => {
        assert.deepEqual(await store.getSettings(), DEFAULT_SETTINGS);
        assert.deepEqual(await store.updateSettings({ accessTokenTtl: 'never' }), { ...DEFAULT_SETTINGS, accessTokenTtl: 'never' });
        assert.deepEqual(await store.updateSettings({ requireHttps: false }), { ...DEFAULT_SETTINGS, accessTokenTtl: 'never', requireHttps: false });
        assert.deepEqual(await store.getSettings(), { ...DEFAULT_SETTINGS, accessTokenTtl: 'never', requireHttps: false });
        const page = { authorizationCodeTtl: 600, requirePkce: true, approvalPageTitle: 'Acme', approvalPageLogoUrl: 'https://acme.example/logo.png' };
        assert.deepEqual(await store.updateSettings(page), { ...DEFAULT_SETTINGS, accessTokenTtl: 'never', requireHttps: false, ...page });
      });
    });

    describe('groups and users', () => {
      it('creates, lists in order and deletes groups; a taken name is a conflict', async () => {
        await store.createGroup('ops');
        await store.createGroup('dev');
        assert.deepEqual(await store.listGroups(), ['dev', 'ops']);
        await assert.rejects(store.createGroup('ops'), ConflictError);
        assert.equal(await store.deleteGroup('ops'), true);
        assert.equal(await store.deleteGroup('ops'), false);
        assert.deepEqual(await store.listGroups(), ['dev']);
      });

      it('creates users with their groups and finds them', async () => {
        await store.createGroup('ops');
        await store.createGroup('dev');
        await store.createUser(user('bob', { groups: ['ops', 'dev'] }));
        await store.createUser(user('alice', { enabled: false }));
        assert.deepEqual(await store.findUser('bob'), user('bob', { groups: ['dev', 'ops'] }));
        assert.equal(await store.findUser('nobody'), undefined);
        assert.deepEqual(
          (await store.listUsers()).map((u) => [u.username, u.enabled, u.groups]),
          [
            ['alice', false, []],
            ['bob', true, ['dev', 'ops']],
          ],
        );
        assert.equal(await store.countGroupMembers('ops'), 1);
        assert.equal(await store.countGroupMembers('nothing'), 0);
      });

      it('refuses a taken username, and a missing group without creating the user', async () => {
        await store.createUser(user('bob'));
        await assert.rejects(store.createUser(user('bob')), ConflictError);
        await assert.rejects(store.createUser(user('carol', { groups: ['ghosts'] })), MissingReferenceError);
        assert.equal(await store.findUser('carol'), undefined);
      });

      it('two instances creating one name in two spellings at once: exactly one is created, the other is a conflict', async () => {
        const others = await Promise.all([fixture.twin(), fixture.twin(), fixture.twin()]);
        try {
          const instances = [store, ...others];
          // Each round, every instance creates its own spelling of one canonical name at the same moment.
          for (let round = 0; round < 15; round++) {
            const spellings = [`dup${round}`, `DUP${round}`, `Dup${round}`, `dUP${round}`];
            const outcomes = await Promise.allSettled(instances.map((instance, i) => instance.createUser(user(spellings[i]!))));
            const created = outcomes.filter((outcome) => outcome.status === 'fulfilled');
            assert.equal(created.length, 1, `round ${round}: ${outcomes.map((outcome) => outcome.status).join(', ')}`);
            for (const outcome of outcomes) if (outcome.status === 'rejected') assert.ok(outcome.reason instanceof ConflictError, String(outcome.reason));
          }
          assert.equal((await store.listUsers()).length, 15);
        } finally {
          await Promise.all(others.map((other) => other.close()));
        }
      });

      it('updates password, enabled flag and groups; an unknown user is false', async () => {
        await store.createGroup('ops');
        await store.createGroup('dev');
        await store.createUser(user('bob', { groups: ['ops'] }));
        assert.equal(await store.updateUser('bob', { passwordHash: 'new-hash', enabled: false, groups: ['dev'] }), true);
        assert.deepEqual(await store.findUser('bob'), user('bob', { passwordHash: 'new-hash', enabled: false, groups: ['dev'] }));
        assert.equal(await store.updateUser('nobody', { enabled: true }), false);
        await assert.rejects(store.updateUser('bob', { groups: ['ghosts'] }), MissingReferenceError);
        assert.deepEqual((await store.findUser('bob'))?.groups, ['dev'], 'a failed update changes nothing');
      });

      it('deletes users; deleting a group removes its memberships', async () => {
        await store.createGroup('ops');
        await store.createUser(user('bob', { groups: ['ops'] }));
        await store.deleteGroup('ops');
        assert.deepEqual((await store.findUser('bob'))?.groups, []);
        assert.equal(await store.deleteUser('bob'), true);
        assert.equal(await store.deleteUser('bob'), false);
        assert.equal(await store.findUser('bob'), undefined);
      });

      it('keeps a copy of a directory user: created, then refreshed, in the groups that exist here', async () => {
        await store.createGroup('staff');
        await store.createGroup('ops');
        const dn = 'uid=dana,ou=people,dc=example,dc=org';
        assert.equal(await store.saveDirectoryUser({ username: 'dana', dn, groups: ['staff', 'ghosts'], enabled: true, syncedAt: NOW }), true);
        assert.deepEqual(await store.findUser('dana'), {
          username: 'dana',
          passwordHash: '',
          groups: ['staff'],
          enabled: true,
          createdAt: NOW,
          directory: { dn, syncedAt: NOW },
        });
        assert.equal(await store.saveDirectoryUser({ username: 'dana', dn, groups: ['ops'], enabled: false, syncedAt: NOW + 60 }), true);
        const refreshed = await store.findUser('dana');
        assert.deepEqual([refreshed?.groups, refreshed?.enabled, refreshed?.createdAt, refreshed?.directory], [['ops'], false, NOW, { dn, syncedAt: NOW + 60 }]);
        assert.deepEqual((await store.listUsers()).map((u) => [u.username, u.directory?.dn]), [['dana', dn]]);
      });

      it('never turns a local user into a directory user', async () => {
        await store.createGroup('staff');
        await store.createUser(user('erin', { groups: [] }));
        assert.equal(await store.saveDirectoryUser({ username: 'erin', dn: 'uid=erin,dc=example,dc=org', groups: ['staff'], enabled: false, syncedAt: NOW }), false);
        assert.deepEqual(await store.findUser('erin'), user('erin'), 'the local user is untouched');
      });
    });

    describe('scopes', () => {
      it('saves (insert or replace), finds, lists and deletes scopes', async () => {
        await store.saveScope({ name: 'orders', description: 'Orders', resources: ['orders', 'GET /rest/orders/{id}'] });
        await store.saveScope({ name: 'admin', description: '', resources: [] });
        await store.saveScope({ name: 'orders', description: 'All orders', resources: ['orders'], public: true });
        assert.deepEqual(await store.findScope('orders'), { name: 'orders', description: 'All orders', resources: ['orders'], public: true });
        assert.equal((await store.findScope('admin'))?.public, false, 'a scope is private unless marked public');
        assert.deepEqual((await store.listScopes()).map((s) => s.name), ['admin', 'orders']);
        assert.equal(await store.deleteScope('admin'), true);
        assert.equal(await store.deleteScope('admin'), false);
        assert.equal(await store.findScope('admin'), undefined);
      });
    });

    describe('clients', () => {
      it('creates and finds clients by id and by name and version', async () => {
        await store.saveScope({ name: 'b', description: '', resources: [] });
        await store.saveScope({ name: 'a', description: '', resources: [] });
        const app = client({ scopes: ['b', 'a'], accessTokenTtl: 120, refreshLimit: 3, introspect: true, description: 'd' });
        await store.createClient(app);
        const publicApp = client({ type: 'public', secretHash: null, accessTokenTtl: 'never', grants: ['password'] });
        await store.createClient(publicApp);
        assert.deepEqual(await store.findClient(app.id), { ...app, scopes: ['a', 'b'] });
        assert.deepEqual(await store.findClientByName(publicApp.name, '1'), publicApp);
        assert.equal(await store.findClient('unknown'), undefined);
        assert.equal(await store.findClientByName(app.name, '2'), undefined);
        assert.deepEqual(
          (await store.listClients()).map((c) => c.id),
          [app, publicApp].sort((x, y) => x.name.localeCompare(y.name)).map((c) => c.id),
        );
      });

      it('refuses a taken id, a taken name and version, and a missing scope', async () => {
        const app = client();
        await store.createClient(app);
        await assert.rejects(store.createClient(client({ id: app.id })), ConflictError);
        await assert.rejects(store.createClient(client({ name: app.name, version: app.version })), ConflictError);
        await store.createClient(client({ name: app.name, version: '2' }));
        const orphan = client({ scopes: ['missing'] });
        await assert.rejects(store.createClient(orphan), MissingReferenceError);
        assert.equal(await store.findClient(orphan.id), undefined, 'nothing is left of a refused client');
      });

      it('updates every field; an unknown client is false; a taken name is a conflict', async () => {
        await store.saveScope({ name: 'a', description: '', resources: [] });
        const app = client();
        const other = client();
        await store.createClient(app);
        await store.createClient(other);
        const patch = {
          name: 'renamed',
          version: '9',
          description: 'new',
          secretHash: null,
          grants: ['client_credentials' as const],
          scopes: ['a'],
          accessTokenTtl: 'never' as const,
          refreshLimit: 0,
          refreshTokenTtl: 10,
          enabled: false,
          introspect: true,
          serviceUser: 'svc',
          redirectUris: ['https://app.example/cb', 'com.example.app:/cb'],
          consent: 'skip' as const,
        };
        assert.equal(await store.updateClient(app.id, patch), true);
        assert.deepEqual(await store.findClient(app.id), { ...app, ...patch });
        assert.equal(await store.updateClient(app.id, {}), true);
        assert.equal(await store.updateClient('unknown', { enabled: true }), false);
        await assert.rejects(store.updateClient(other.id, { name: 'renamed', version: '9' }), ConflictError);
        await assert.rejects(store.updateClient(other.id, { scopes: ['missing'] }), MissingReferenceError);
        assert.deepEqual(await store.findClient(other.id), other, 'a failed update changes nothing');
      });

      it('deletes a client with its token families', async () => {
        const app = client();
        await store.createClient(app);
        const g = await saveGrant(store, grant(app.id, null));
        assert.equal(await store.deleteClient(app.id), true);
        assert.equal(await store.deleteClient(app.id), false);
        assert.equal(await store.findToken(g.access.hash), undefined);
        assert.equal(await store.findFamily(g.family.id), undefined);
      });

      it('deleting a scope removes it from clients', async () => {
        await store.saveScope({ name: 'a', description: '', resources: [] });
        const app = client({ scopes: ['a'] });
        await store.createClient(app);
        await store.deleteScope('a');
        assert.deepEqual((await store.findClient(app.id))?.scopes, []);
      });
    });

    describe('token families and views', () => {
      it('stores a family and finds each token with its live state', async () => {
        const app = client();
        await store.createClient(app);
        await store.createUser(user('bob'));
        const g = await saveGrant(store, grant(app.id, 'bob', { accessTtl: null }));
        assert.deepEqual(await store.findFamily(g.family.id), g.family);
        assert.deepEqual(await store.findToken(g.access.hash), {
          ...g.access,
          familyRevokedAt: null,
          familyAuthentication: null,
          clientEnabled: true,
          userEnabled: true,
        });
        assert.deepEqual(await store.findToken(g.refresh.hash), { ...g.refresh, familyRevokedAt: null, familyAuthentication: null, clientEnabled: true, userEnabled: true });
        assert.equal(await store.findToken(hashSecret('unknown')), undefined);
        // What is no digest names no token (an id typed into the admin API or the CLI), nor does another spelling of one.
        for (const typed of ['unknown', '', `${g.access.hash}x`, g.access.hash.slice(0, -1), `${g.access.hash.slice(0, 10)}!${g.access.hash.slice(10)}`]) {
          assert.equal(await store.findToken(typed), undefined, typed);
        }
        assert.equal(await store.findFamily('unknown'), undefined);
      });

      it('views show a disabled client, a disabled or deleted user, and no user at all', async () => {
        const app = client();
        await store.createClient(app);
        await store.createUser(user('bob'));
        const owned = await saveGrant(store, grant(app.id, 'bob'));
        const service = await saveGrant(store, grant(app.id, null));
        assert.equal((await store.findToken(service.access.hash))?.userEnabled, null);
        await store.updateClient(app.id, { enabled: false });
        assert.equal((await store.findToken(owned.access.hash))?.clientEnabled, false);
        await store.updateUser('bob', { enabled: false });
        assert.equal((await store.findToken(owned.access.hash))?.userEnabled, false);
        await store.deleteUser('bob');
        assert.equal((await store.findToken(owned.access.hash))?.userEnabled, false, 'a deleted owner counts as disabled');
      });

      it('a family with a duplicate token hash is refused as a whole', async () => {
        const app = client();
        await store.createClient(app);
        const first = await saveGrant(store, grant(app.id, null));
        const second = grant(app.id, null);
        await assert.rejects(store.saveFamily(second.family, [second.access, { ...second.refresh, hash: first.refresh.hash }]));
        assert.equal(await store.findFamily(second.family.id), undefined);
        assert.equal(await store.findToken(second.access.hash), undefined);
      });

      it("a token's view carries its family's sign-in (the ID token of a refresh reads it there)", async () => {
        const app = client();
        await store.createClient(app);
        await store.createUser(user('bob'));
        const g = grant(app.id, 'bob');
        await saveGrant(store, { ...g, family: { ...g.family, authentication: { authTime: NOW - 30, amr: ['pwd', 'otp'] } } });
        assert.deepEqual((await store.findToken(g.refresh.hash))?.familyAuthentication, { authTime: NOW - 30, amr: ['pwd', 'otp'] });
      });
    });

    describe('lone tokens (client credentials: a grant of one access token, no family)', () => {
      const lone = (clientId: string, options: { at?: number; ttl?: number | null } = {}): TokenRecord => {
        const { access } = grant(clientId, null, { at: options.at, accessTtl: options.ttl });
        return { ...access, familyId: null };
      };

      it('is stored and found with no family, revoked by itself, once', async () => {
        const app = client();
        await store.createClient(app);
        const token = lone(app.id);
        const other = lone(app.id);
        await store.saveLoneToken(token);
        await store.saveLoneToken(other);
        assert.deepEqual(await store.findToken(token.hash), {
          ...token,
          familyRevokedAt: null,
          familyAuthentication: null,
          clientEnabled: true,
          userEnabled: null,
        });
        assert.equal(tokenState((await store.findToken(token.hash))!, NOW + 1), 'active');
        assert.equal(await store.revokeGrant(token, NOW + 2), true);
        assert.equal(await store.revokeGrant(token, NOW + 3), false);
        assert.equal(tokenState((await store.findToken(token.hash))!, NOW + 3), 'revoked');
        assert.equal(tokenState((await store.findToken(other.hash))!, NOW + 3), 'active', 'another grant of the same client lives on');
        assert.equal((await store.listTokens({ clientId: app.id, state: 'revoked' }, NOW + 3)).length, 1);
      });

      it("revokeGrant of a family's token revokes the family", async () => {
        const app = client();
        await store.createClient(app);
        const g = await saveGrant(store, grant(app.id, null));
        assert.equal(await store.revokeGrant(g.access, NOW + 1), true);
        assert.equal((await store.findToken(g.refresh.hash))?.familyRevokedAt, NOW + 1);
      });

      it("go with their client's grants (counted) and with the client, and are purged once expired or revoked", async () => {
        const a = client();
        const b = client();
        await store.createClient(a);
        await store.createClient(b);
        const [a1, a2, b1] = [lone(a.id), lone(a.id, { ttl: null }), lone(b.id)];
        for (const token of [a1, a2, b1]) await store.saveLoneToken(token);
        await saveGrant(store, grant(a.id, null));
        assert.equal(await store.revokeFamiliesOf({ clientId: a.id }, NOW + 1), 3, 'two lone tokens and one family');
        assert.equal(tokenState((await store.findToken(a2.hash))!, NOW + 1), 'revoked');
        assert.equal(tokenState((await store.findToken(b1.hash))!, NOW + 1), 'active');

        const kept = lone(b.id, { ttl: null });
        await store.saveLoneToken(kept);
        assert.ok((await store.purgeExpired(NOW + 3600, 100)) >= 3);
        // Purged, or still in a read cache as it was (the purge's deletes of revoked and expired
        // tokens are reported to no cache: no answer changes; see findToken in src/store/store.ts):
        // never seen active again. a2 and b1 were read, so a cache may hold them.
        const gone = async (token: TokenRecord, state: 'revoked' | 'expired') => {
          const purged = await store.findToken(token.hash);
          assert.ok(purged === undefined || tokenState(purged, NOW + 3600) === state, `${state}, not ${purged && tokenState(purged, NOW + 3600)}`);
        };
        assert.equal(await store.findToken(a1.hash), undefined);
        await gone(a2, 'revoked');
        await gone(b1, 'expired');
        assert.ok(await store.findToken(kept.hash));
        assert.equal(await store.deleteClient(b.id), true);
        assert.equal(await store.findToken(kept.hash), undefined);
        await store.createClient({ ...b, name: `${b.name}-again` });
        assert.equal(await store.findToken(kept.hash), undefined, 'deleted, not only hidden by the missing client');
      });
    });

    describe('refresh rotation', () => {
      let app: Client;
      beforeEach(async () => {
        app = client();
        await store.createClient(app);
      });

      it('rotates: the presented token is marked, the new tokens join the family, one refresh is counted', async () => {
        const g = await saveGrant(store, grant(app.id, null));
        const next = successors(g, NOW + 10);
        assert.equal(await store.rotateRefreshToken({ presentedHash: g.refresh.hash, now: NOW + 10, refreshLimit: null, newTokens: next }), 'rotated');
        assert.equal((await store.findToken(g.refresh.hash))?.rotatedAt, NOW + 10);
        assert.equal((await store.findFamily(g.family.id))?.refreshCount, 1);
        for (const token of next) {
          const found = await store.findToken(token.hash);
          assert.equal(found?.familyId, g.family.id);
          assert.equal(found?.rotatedAt, null);
        }
        assert.equal((await store.findToken(g.access.hash))?.revokedAt, null, 'the old access token is left to expire');
      });

      it('a rotated token again is already_rotated, and stores nothing', async () => {
        const g = await saveGrant(store, grant(app.id, null));
        await store.rotateRefreshToken({ presentedHash: g.refresh.hash, now: NOW + 1, refreshLimit: null, newTokens: successors(g, NOW + 1) });
        const replay = successors(g, NOW + 2);
        assert.equal(
          await store.rotateRefreshToken({ presentedHash: g.refresh.hash, now: NOW + 2, refreshLimit: null, newTokens: replay }),
          'already_rotated',
        );
        assert.equal(await store.findToken(replay[0]!.hash), undefined);
        assert.equal((await store.findFamily(g.family.id))?.refreshCount, 1);
      });

      it('unknown, expired and access tokens are not_live', async () => {
        const g = await saveGrant(store, grant(app.id, null, { refreshTtl: 100 }));
        const rotate = (hash: string, now: number) =>
          store.rotateRefreshToken({ presentedHash: hash, now, refreshLimit: null, newTokens: successors(g, now) });
        assert.equal(await rotate(hashSecret('unknown'), NOW), 'not_live');
        assert.equal(await rotate('not a digest', NOW), 'not_live');
        assert.equal(await rotate(g.access.hash, NOW), 'not_live');
        assert.equal(await rotate(g.refresh.hash, NOW + 100), 'not_live');
        assert.equal((await store.findToken(g.refresh.hash))?.rotatedAt, null);
      });

      it('a revoked family does not rotate, and the token is left as it was', async () => {
        const g = await saveGrant(store, grant(app.id, null));
        await store.revokeFamily(g.family.id, NOW);
        const outcome = await store.rotateRefreshToken({ presentedHash: g.refresh.hash, now: NOW + 1, refreshLimit: null, newTokens: successors(g, NOW + 1) });
        assert.notEqual(outcome, 'rotated');
        assert.equal((await store.findToken(g.refresh.hash))?.rotatedAt, null);
      });

      it('the refresh limit caps rotations per family and undoes the refused claim', async () => {
        const g = await saveGrant(store, grant(app.id, null));
        const first = successors(g, NOW + 1);
        assert.equal(await store.rotateRefreshToken({ presentedHash: g.refresh.hash, now: NOW + 1, refreshLimit: 1, newTokens: first }), 'rotated');
        const second = successors(g, NOW + 2);
        assert.equal(
          await store.rotateRefreshToken({ presentedHash: first[1]!.hash, now: NOW + 2, refreshLimit: 1, newTokens: second }),
          'limit_reached',
        );
        assert.equal((await store.findToken(first[1]!.hash))?.rotatedAt, null, 'the refused token is not marked rotated');
        assert.equal(await store.findToken(second[0]!.hash), undefined);
        assert.equal((await store.findFamily(g.family.id))?.refreshCount, 1);
      });

      it('without a limit, a chain of rotations goes on', async () => {
        const g = await saveGrant(store, grant(app.id, null));
        let presented = g.refresh.hash;
        for (let i = 1; i <= 5; i++) {
          const next = successors(g, NOW + i);
          assert.equal(await store.rotateRefreshToken({ presentedHash: presented, now: NOW + i, refreshLimit: null, newTokens: next }), 'rotated');
          presented = next[1]!.hash;
        }
        assert.equal((await store.findFamily(g.family.id))?.refreshCount, 5);
      });

      it('many concurrent rotations of one token from two instances: exactly one wins', async () => {
        const other = await fixture.twin();
        try {
          for (let round = 0; round < 5; round++) {
            const g = await saveGrant(store, grant(app.id, null));
            const attempts = Array.from({ length: 12 }, (_, i) =>
              (i % 2 === 0 ? store : other).rotateRefreshToken({
                presentedHash: g.refresh.hash,
                now: NOW + 1,
                refreshLimit: null,
                newTokens: successors(g, NOW + 1),
              }),
            );
            const outcomes = await Promise.all(attempts);
            assert.equal(outcomes.filter((o) => o === 'rotated').length, 1, `round ${round}: ${outcomes.join(',')}`);
            assert.equal(outcomes.filter((o) => o === 'already_rotated').length, 11);
            assert.equal((await store.findFamily(g.family.id))?.refreshCount, 1);
            assert.equal((await store.listTokens({ state: 'active' }, NOW + 1)).filter((t) => t.familyId === g.family.id).length, 3);
          }
        } finally {
          await other.close();
        }
      });

      it('concurrent rotations against a limit of one: one rotated, none beyond the limit', async () => {
        const other = await fixture.twin();
        try {
          const g = await saveGrant(store, grant(app.id, null));
          const outcomes = await Promise.all(
            Array.from({ length: 8 }, (_, i) =>
              (i % 2 === 0 ? store : other).rotateRefreshToken({
                presentedHash: g.refresh.hash,
                now: NOW + 1,
                refreshLimit: 1,
                newTokens: successors(g, NOW + 1),
              }),
            ),
          );
          assert.equal(outcomes.filter((o) => o === 'rotated').length, 1);
          assert.equal((await store.findFamily(g.family.id))?.refreshCount, 1);
        } finally {
          await other.close();
        }
      });
    });

    describe('refresh reuse leeway', () => {
      let app: Client;
      beforeEach(async () => {
        app = client();
        await store.createClient(app);
        await store.createUser(user('u'));
      });

      function refresh(familyId: string, hash: string, issuedAt: number): TokenRecord {
        return { hash: hashSecret(hash), kind: 'refresh', familyId, clientId: app.id, username: 'u', scope: [], issuedAt, expiresAt: issuedAt + 1000, revokedAt: null, rotatedAt: null };
      }

      async function family(first: string, at: number): Promise<string> {
        const id = randomUUID();
        await store.saveFamily({ id, clientId: app.id, username: 'u', scope: [], refreshCount: 0, createdAt: at, revokedAt: null }, [refresh(id, first, at)]);
        return id;
      }

      it('the leeway reaches exactly one step back, and only while the replacement is unused', async () => {
        const fam = await family('r1', 100);
        const rotate = (presented: string, next: string, now: number, leeway = 0) =>
          store.rotateRefreshToken({ presentedHash: hashSecret(presented), now, refreshLimit: null, newTokens: [refresh(fam, next, now)], reuseLeewaySeconds: leeway });
        assert.equal(await rotate('r1', 'r2', 101), 'rotated');
        assert.equal(await rotate('r1', 'x', 102), 'already_rotated', 'strict without a leeway');
        assert.equal(await rotate('r1', 'r3', 105, 5), 'rotated', 'r1 stands in for the unused r2');
        assert.equal((await store.findToken(hashSecret('r2')))!.rotatedAt, 105);
        assert.equal(await rotate('r1', 'y', 106, 5), 'already_rotated', 'r2 is used now: r1 is two steps back');
        assert.equal(await rotate('r2', 'r4', 106, 5), 'rotated', 'r2 is the immediately previous of r3');
        assert.equal(await rotate('r3', 'z', 200, 5), 'already_rotated', 'past the leeway');
        for (const refused of ['x', 'y', 'z']) assert.equal(await store.findToken(hashSecret(refused)), undefined, 'a refused rotation stores nothing');
        assert.equal((await store.findFamily(fam))?.refreshCount, 3);
      });

      it('the leeway counts against the refresh limit, and a refused claim is undone', async () => {
        const fam = await family('r1', 100);
        assert.equal(
          await store.rotateRefreshToken({ presentedHash: hashSecret('r1'), now: 101, refreshLimit: 1, newTokens: [refresh(fam, 'r2', 101)], reuseLeewaySeconds: 5 }),
          'rotated',
        );
        assert.equal(
          await store.rotateRefreshToken({ presentedHash: hashSecret('r1'), now: 102, refreshLimit: 1, newTokens: [refresh(fam, 'r3', 102)], reuseLeewaySeconds: 5 }),
          'limit_reached',
        );
        assert.equal((await store.findToken(hashSecret('r2')))!.rotatedAt, null, 'the replacement is not marked rotated');
        assert.equal(await store.findToken(hashSecret('r3')), undefined);
        assert.equal((await store.findFamily(fam))?.refreshCount, 1);
      });

      it('the leeway does not reach past a revoked family', async () => {
        const fam = await family('r1', 100);
        await store.rotateRefreshToken({ presentedHash: hashSecret('r1'), now: 101, refreshLimit: null, newTokens: [refresh(fam, 'r2', 101)] });
        await store.revokeFamily(fam, 102);
        const outcome = await store.rotateRefreshToken({ presentedHash: hashSecret('r1'), now: 103, refreshLimit: null, newTokens: [refresh(fam, 'r3', 103)], reuseLeewaySeconds: 5 });
        assert.notEqual(outcome, 'rotated');
        assert.equal((await store.findToken(hashSecret('r2')))!.rotatedAt, null);
        assert.equal(await store.findToken(hashSecret('r3')), undefined);
      });

      it('concurrent retries within the leeway, and the replacement itself, from two instances: exactly one wins', async () => {
        const other = await fixture.twin();
        try {
          for (let round = 0; round < 5; round++) {
            const fam = await family(`r1-${round}`, 100);
            await store.rotateRefreshToken({ presentedHash: hashSecret(`r1-${round}`), now: 101, refreshLimit: null, newTokens: [refresh(fam, `r2-${round}`, 101)] });
            const outcomes = await Promise.all(
              Array.from({ length: 12 }, (_, i) =>
                (i % 2 === 0 ? store : other).rotateRefreshToken({
                  // Most retry the previous token within the leeway, some present its unused
                  // replacement strictly: all of them claim the same row.
                  presentedHash: hashSecret(i % 3 === 0 ? `r2-${round}` : `r1-${round}`),
                  now: 102,
                  refreshLimit: null,
                  newTokens: [refresh(fam, `r3-${round}-${i}`, 102)],
                  reuseLeewaySeconds: i % 3 === 0 ? 0 : 5,
                }),
              ),
            );
            assert.equal(outcomes.filter((o) => o === 'rotated').length, 1, `round ${round}: ${outcomes.join(',')}`);
            assert.equal(outcomes.filter((o) => o === 'already_rotated').length, 11);
            assert.equal((await store.findFamily(fam))?.refreshCount, 2);
            assert.equal((await store.listTokens({ state: 'active' }, 102)).filter((t) => t.familyId === fam).length, 1);
          }
        } finally {
          await other.close();
        }
      });
    });

    describe('revocation', () => {
      it('revokes one family once', async () => {
        const app = client();
        await store.createClient(app);
        const g = await saveGrant(store, grant(app.id, null));
        assert.equal(await store.revokeFamily(g.family.id, NOW + 5), true);
        assert.equal(await store.revokeFamily(g.family.id, NOW + 6), false);
        assert.equal(await store.revokeFamily('unknown', NOW + 6), false);
        assert.equal((await store.findFamily(g.family.id))?.revokedAt, NOW + 5);
        assert.equal((await store.findToken(g.access.hash))?.familyRevokedAt, NOW + 5);
        assert.equal((await store.findToken(g.refresh.hash))?.familyRevokedAt, NOW + 5);
      });

      it('revokes every live family of a user or of a client, and counts them', async () => {
        const a = client();
        const b = client();
        await store.createClient(a);
        await store.createClient(b);
        await store.createUser(user('bob'));
        await store.createUser(user('eve'));
        const bobA = await saveGrant(store, grant(a.id, 'bob'));
        await saveGrant(store, grant(b.id, 'bob'));
        const eveA = await saveGrant(store, grant(a.id, 'eve'));
        const eveB = await saveGrant(store, grant(b.id, 'eve'));
        await store.revokeFamily(bobA.family.id, NOW);
        assert.equal(await store.revokeFamiliesOf({ username: 'bob' }, NOW + 1), 1, 'an already revoked family is not counted');
        assert.equal(await store.revokeFamiliesOf({ clientId: a.id }, NOW + 2), 1);
        assert.equal((await store.findFamily(eveA.family.id))?.revokedAt, NOW + 2);
        assert.equal((await store.findFamily(eveB.family.id))?.revokedAt, null);
        assert.equal(await store.revokeFamiliesOf({ username: 'nobody' }, NOW + 3), 0);
      });

      it('revokes the live families of one user at one client only', async () => {
        const a = client();
        const b = client();
        await store.createClient(a);
        await store.createClient(b);
        await store.createUser(user('bob'));
        await store.createUser(user('eve'));
        const bobA = await saveGrant(store, grant(a.id, 'bob'));
        const bobA2 = await saveGrant(store, grant(a.id, 'bob'));
        const bobB = await saveGrant(store, grant(b.id, 'bob'));
        const eveA = await saveGrant(store, grant(a.id, 'eve'));
        assert.equal(await store.revokeFamiliesOf({ username: 'bob', clientId: a.id }, NOW + 1), 2);
        assert.equal((await store.findFamily(bobA.family.id))?.revokedAt, NOW + 1);
        assert.equal((await store.findFamily(bobA2.family.id))?.revokedAt, NOW + 1);
        assert.equal((await store.findFamily(bobB.family.id))?.revokedAt, null);
        assert.equal((await store.findFamily(eveA.family.id))?.revokedAt, null);
      });
    });

    describe('listing tokens', () => {
      it('filters by client, user and state, newest first, up to the limit', async () => {
        const a = client();
        const b = client();
        await store.createClient(a);
        await store.createClient(b);
        await store.createUser(user('bob'));
        const revoked = await saveGrant(store, grant(a.id, 'bob', { at: NOW }));
        const rotated = await saveGrant(store, grant(a.id, 'bob', { at: NOW + 10 }));
        const service = await saveGrant(store, grant(b.id, null, { at: NOW + 20 }));
        await store.revokeFamily(revoked.family.id, NOW + 30);
        const next = successors(rotated, NOW + 40);
        await store.rotateRefreshToken({ presentedHash: rotated.refresh.hash, now: NOW + 40, refreshLimit: null, newTokens: next });
        const now = NOW + 75; // access tokens (60 s) of NOW and NOW + 10 have expired
        const hashes = async (filter: Parameters<Store['listTokens']>[0]) => (await store.listTokens(filter, now)).map((t) => t.hash).sort();
        const sorted = (...tokens: { hash: string }[]) => tokens.map((t) => t.hash).sort();

        assert.deepEqual(await hashes({ clientId: b.id }), sorted(service.access, service.refresh));
        assert.deepEqual(await hashes({ username: 'bob' }), sorted(revoked.access, revoked.refresh, rotated.access, rotated.refresh, ...next));
        assert.deepEqual(await hashes({ state: 'revoked' }), sorted(revoked.access, revoked.refresh));
        assert.deepEqual(await hashes({ state: 'rotated' }), sorted(rotated.refresh));
        assert.deepEqual(await hashes({ state: 'expired' }), sorted(rotated.access));
        assert.deepEqual(await hashes({ state: 'active' }), sorted(service.access, service.refresh, ...next));
        assert.deepEqual(await hashes({ state: 'active', clientId: a.id, username: 'bob' }), sorted(...next));

        const all = await store.listTokens({}, now);
        assert.equal(all.length, 8);
        for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.issuedAt >= all[i]!.issuedAt, 'newest first');
        for (const token of all) {
          const state = tokenState(token, now);
          const listed = await store.listTokens({ state }, now);
          assert.ok(listed.some((t) => t.hash === token.hash), `the SQL state filter agrees with tokenState() on ${state}`);
        }
        assert.equal((await store.listTokens({ limit: 3 }, now)).length, 3);
        assert.deepEqual((await store.listTokens({ limit: 2 }, now)).map((t) => t.hash).sort(), sorted(...next));
      });
    });

    describe('password hash upgrade', () => {
      it('replacePasswordHash only replaces the hash it was given', async () => {
        await store.createUser(user('u', { passwordHash: 'old-hash' }));
        assert.equal(await store.replacePasswordHash('u', 'not-the-current', 'new-hash'), false);
        assert.equal((await store.findUser('u'))!.passwordHash, 'old-hash');
        assert.equal(await store.replacePasswordHash('u', 'old-hash', 'new-hash'), true);
        assert.equal((await store.findUser('u'))!.passwordHash, 'new-hash');
        assert.equal(await store.replacePasswordHash('nobody', 'old-hash', 'new-hash'), false);
      });
    });

    describe('audit log', () => {
      it('appendAudit and listAudit: newest first, paging backwards, optional fields omitted', async () => {
        await store.appendAudit([]);
        await store.appendAudit([
          { at: 10, type: 'login.failed', ip: '192.0.2.1', username: 'u', reason: 'wrong_password' },
          { at: 11, type: 'token.issued', clientId: 'c', username: 'u', detail: { grant_type: 'password', family: 'f' } },
          { at: 12, type: 'client.deleted', clientId: 'c' },
        ]);
        const all = await store.listAudit({ limit: 10 });
        assert.deepEqual(all.map((record) => record.type), ['client.deleted', 'token.issued', 'login.failed']);
        assert.deepEqual(all[1], { id: all[1]!.id, at: 11, type: 'token.issued', clientId: 'c', username: 'u', detail: { grant_type: 'password', family: 'f' } });
        assert.deepEqual(all[2], { id: all[2]!.id, at: 10, type: 'login.failed', ip: '192.0.2.1', username: 'u', reason: 'wrong_password' });
        assert.deepEqual(all[0], { id: all[0]!.id, at: 12, type: 'client.deleted', clientId: 'c' });
        const page = await store.listAudit({ limit: 1, beforeId: all[0].id });
        assert.deepEqual(page.map((record) => record.type), ['token.issued']);
        assert.deepEqual(await store.listAudit({ limit: 10, beforeId: all[2].id }), []);
      });

      it('ids keep growing across batches and instances, so paging by id is paging back in time', async () => {
        const other = await fixture.twin();
        try {
          await store.appendAudit([{ at: 1, type: 'user.created', username: 'a' }]);
          await other.appendAudit([{ at: 2, type: 'user.created', username: 'b' }]);
          await store.appendAudit([{ at: 3, type: 'user.created', username: 'c' }, { at: 3, type: 'user.enabled', username: 'c' }]);
          const all = await other.listAudit({ limit: 10 });
          assert.deepEqual(all.map((record) => record.at), [3, 3, 2, 1]);
          for (let i = 1; i < all.length; i++) assert.ok(all[i - 1]!.id > all[i]!.id, 'ids strictly decrease');
        } finally {
          await other.close();
        }
      });
    });

    describe('services and ACLs', () => {
      it('saves, replaces, lists and deletes services', async () => {
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
        assert.deepEqual(await store.findService('a:svc'), {
          name: 'a:svc',
          upstream: 'http://h/a',
          methods: ['GET', 'POST'],
          templates: ['GET /rest/a/{id}'],
          createdAt: 2,
        });
        assert.deepEqual((await store.listServices()).map((s) => s.name), ['a:svc', 'b:svc']);
        assert.equal(await store.deleteService('a:svc'), true);
        assert.equal(await store.deleteService('a:svc'), false);
        assert.equal(await store.findService('a:svc'), undefined);
      });

      it('lists services and ACLs in byte order, as SQLite sorts', async () => {
        for (const name of ['b:x', 'B:x', 'a:x', '_:x']) await store.saveService({ name, upstream: 'http://h', methods: [], templates: [], createdAt: 1 });
        assert.deepEqual((await store.listServices()).map((s) => s.name), ['B:x', '_:x', 'a:x', 'b:x']);
        for (const resource of ['orders', 'Orders', 'a:b']) await store.setAcl({ resource, allow: [], deny: [] });
        assert.deepEqual((await store.listAcls()).map((a) => a.resource), ['Orders', 'a:b', 'orders']);
      });

      it('sets, replaces, lists and deletes ACLs, with group names that contain spaces', async () => {
        await store.setAcl({ resource: 'orders', allow: ['Order Desk', 'ops'], deny: [] });
        await store.setAcl({ resource: 'orders', allow: ['Order Desk'], deny: ['Temp Staff'] });
        await store.setAcl({ resource: 'a:b', allow: [], deny: [] });
        assert.deepEqual(await store.listAcls(), [
          { resource: 'a:b', allow: [], deny: [] },
          { resource: 'orders', allow: ['Order Desk'], deny: ['Temp Staff'] },
        ]);
        assert.equal(await store.deleteAcl('orders'), true);
        assert.equal(await store.deleteAcl('orders'), false);
        assert.deepEqual(await store.listAcls(), [{ resource: 'a:b', allow: [], deny: [] }]);
      });
    });

    describe('authorization code grant', () => authorizationContract(() => ({ store, fixture })));
    describe('second factors', () => mfaContract(() => ({ store, fixture })));

    describe('admin sessions', () => {
      const session = (idHash: string, username: string, overrides: Partial<AdminSession> = {}): AdminSession => ({
        idHash,
        username,
        createdAt: NOW,
        lastSeenAt: NOW,
        expiresAt: NOW + 3600,
        ...overrides,
      });

      beforeEach(async () => {
        await store.createUser(user('admin'));
        await store.createUser(user('other'));
      });

      it('creates and finds a session by the hash of its id', async () => {
        const s = session(hashSecret('sid-1'), 'admin');
        await store.createAdminSession(s);
        assert.deepEqual(await store.findAdminSession(s.idHash), s);
        assert.equal(await store.findAdminSession(hashSecret('sid-unknown')), undefined);
      });

      it('a session of an unknown user is refused', async () => {
        await assert.rejects(store.createAdminSession(session(hashSecret('sid'), 'nobody')));
        assert.equal(await store.findAdminSession(hashSecret('sid')), undefined);
      });

      it('touch moves the last use forward, never back; an unknown session is ignored', async () => {
        const s = session(hashSecret('sid'), 'admin');
        await store.createAdminSession(s);
        await store.touchAdminSession(s.idHash, NOW + 50);
        assert.equal((await store.findAdminSession(s.idHash))?.lastSeenAt, NOW + 50);
        await store.touchAdminSession(s.idHash, NOW + 20);
        assert.equal((await store.findAdminSession(s.idHash))?.lastSeenAt, NOW + 50, 'a late, older touch does not move it back');
        await store.touchAdminSession(hashSecret('unknown'), NOW + 60);
        assert.deepEqual(await store.findAdminSession(s.idHash), { ...s, lastSeenAt: NOW + 50 });
      });

      it('deletes one session, or every session of one administrator', async () => {
        const [a1, a2, o1] = [session(hashSecret('a1'), 'admin'), session(hashSecret('a2'), 'admin'), session(hashSecret('o1'), 'other')];
        for (const s of [a1, a2, o1]) await store.createAdminSession(s);
        assert.equal(await store.deleteAdminSession(a1.idHash), true);
        assert.equal(await store.deleteAdminSession(a1.idHash), false);
        assert.equal(await store.findAdminSession(a1.idHash), undefined);
        await store.createAdminSession(session(hashSecret('a3'), 'admin'));
        assert.equal(await store.deleteAdminSessionsOf('admin'), 2);
        assert.equal(await store.deleteAdminSessionsOf('admin'), 0);
        assert.equal(await store.findAdminSession(a2.idHash), undefined);
        assert.deepEqual(await store.findAdminSession(o1.idHash), o1, 'another administrator keeps theirs');
      });

      it('deleting the user ends their sessions', async () => {
        const s = session(hashSecret('sid'), 'admin');
        await store.createAdminSession(s);
        await store.deleteUser('admin');
        assert.equal(await store.findAdminSession(s.idHash), undefined);
      });

      it('purges sessions past their absolute expiry or idle too long, and counts them', async () => {
        const expired = session(hashSecret('expired'), 'admin', { lastSeenAt: NOW + 90, expiresAt: NOW + 100 });
        const idle = session(hashSecret('idle'), 'admin', { lastSeenAt: NOW + 9, expiresAt: NOW + 1000 });
        const edge = session(hashSecret('edge'), 'other', { lastSeenAt: NOW + 10, expiresAt: NOW + 101 });
        for (const s of [expired, idle, edge]) await store.createAdminSession(s);
        assert.equal(await store.purgeAdminSessions(NOW + 100, NOW + 10), 2, 'expiry is inclusive, idleness strict');
        assert.equal(await store.findAdminSession(expired.idHash), undefined);
        assert.equal(await store.findAdminSession(idle.idHash), undefined);
        assert.deepEqual(await store.findAdminSession(edge.idHash), edge);
        assert.equal(await store.purgeAdminSessions(NOW + 100, NOW + 10), 0);
      });
    });

    describe('purging', () => {
      it('deletes expired and revoked tokens in bounded batches, keeping live and rotated-unexpired ones', async () => {
        const app = client();
        await store.createClient(app);
        const expired = await Promise.all(Array.from({ length: 4 }, () => saveGrant(store, grant(app.id, null, { refreshTtl: 60 }))));
        const revoked = await saveGrant(store, grant(app.id, null, { at: NOW + 100 }));
        await store.revokeFamily(revoked.family.id, NOW + 100);
        const live = await saveGrant(store, grant(app.id, null, { at: NOW + 100, accessTtl: null }));
        const rotated = await saveGrant(store, grant(app.id, null, { at: NOW + 100 }));
        const next = successors(rotated, NOW + 101);
        await store.rotateRefreshToken({ presentedHash: rotated.refresh.hash, now: NOW + 101, refreshLimit: null, newTokens: next });
        const now = NOW + 120; // the first four families (60 s) are fully expired; the others are not

        const batches: number[] = [];
        for (;;) {
          const removed = await store.purgeExpired(now, 3);
          batches.push(removed);
          if (removed < 3) break;
        }
        assert.deepEqual(batches, [3, 3, 3, 1], 'eight expired plus two revoked tokens, three at a time');
        for (const g of [...expired, revoked]) {
          assert.equal(await store.findToken(g.access.hash), undefined);
          assert.equal(await store.findToken(g.refresh.hash), undefined);
          assert.equal(await store.findFamily(g.family.id), undefined, 'an emptied family goes too');
        }
        for (const token of [live.access, live.refresh, rotated.access, rotated.refresh, ...next]) {
          assert.ok(await store.findToken(token.hash), 'live tokens, and rotated ones still kept for reuse detection, stay');
        }
        assert.ok(await store.findFamily(live.family.id));
        assert.equal(await store.purgeExpired(now, 3), 0);
      });

      it('two instances purging at once delete each token once', async () => {
        const app = client();
        await store.createClient(app);
        await Promise.all(Array.from({ length: 30 }, () => saveGrant(store, grant(app.id, null, { refreshTtl: 60 }))));
        const other = await fixture.twin();
        try {
          const drain = async (s: Store) => {
            let total = 0;
            for (;;) {
              const removed = await s.purgeExpired(NOW + 120, 7);
              total += removed;
              if (removed === 0) return total;
            }
          };
          const [x, y] = await Promise.all([drain(store), drain(other)]);
          assert.equal(x + y, 60);
          assert.equal((await store.listTokens({ limit: 1000 }, NOW + 120)).length, 0);
        } finally {
          await other.close();
        }
      });
    });

    describe('reads see every change (the stores cache clients and token views)', () => {
      /** A request that arrives after another instance's change is handled in a later turn of the event loop. */
      const nextTurn = async () => {
        await new Promise((resolve) => setImmediate(resolve));
        await fixture.settle?.();
      };

      it('a client read again after a change made here, or by another instance, is the changed client', async () => {
        await store.saveScope({ name: 'read', description: '', resources: [] });
        await store.saveScope({ name: 'write', description: '', resources: [] });
        const app = client({ scopes: ['read', 'write'] });
        await store.createClient(app);
        assert.equal((await store.findClient(app.id))?.enabled, true);

        await store.updateClient(app.id, { enabled: false, grants: ['client_credentials'] });
        const changed = await store.findClient(app.id);
        assert.equal(changed?.enabled, false);
        assert.deepEqual(changed?.grants, ['client_credentials']);

        // A scope deleted takes its association with it (a cascade, not a write to the client).
        await store.deleteScope('write');
        assert.deepEqual((await store.findClient(app.id))?.scopes, ['read']);

        const other = await fixture.twin();
        await other.updateClient(app.id, { enabled: true, secretHash: hashSecret('rotated') });
        await nextTurn();
        const seen = await store.findClient(app.id);
        assert.equal(seen?.enabled, true);
        assert.equal(seen?.secretHash, hashSecret('rotated'));

        await other.deleteClient(app.id);
        await nextTurn();
        assert.equal(await store.findClient(app.id), undefined);
      });

      it('a cached record cannot be changed by its reader', async () => {
        const app = client();
        await store.createClient(app);
        const read = await store.findClient(app.id);
        assert.ok(read);
        try {
          (read as { enabled: boolean }).enabled = false;
          read.grants.push('client_credentials');
        } catch {
          // Frozen: the change is refused, which is what a cache must do.
        }
        const again = await store.findClient(app.id);
        assert.equal(again?.enabled, true);
        assert.deepEqual(again?.grants, ['password', 'refresh_token']);
      });

      it('a token view read again follows its token, family, client and user', async () => {
        const app = client();
        await store.createClient(app);
        await store.createUser(user('carol'));
        const g = await saveGrant(store, grant(app.id, 'carol'));
        const view = async () => store.findToken(g.access.hash);
        assert.equal(tokenState((await view())!, NOW), 'active');

        await store.updateUser('carol', { enabled: false });
        assert.equal((await view())?.userEnabled, false);
        await store.updateUser('carol', { enabled: true });
        assert.equal((await view())?.userEnabled, true);

        await store.updateClient(app.id, { enabled: false });
        assert.equal((await view())?.clientEnabled, false);
        await store.updateClient(app.id, { enabled: true });
        assert.equal(tokenState((await view())!, NOW), 'active');

        // The refresh token rotates: its own view says so at once.
        assert.equal((await store.findToken(g.refresh.hash))?.rotatedAt, null);
        const next = successors(g, NOW + 1);
        assert.equal(await store.rotateRefreshToken({ presentedHash: g.refresh.hash, now: NOW + 1, refreshLimit: null, newTokens: next, reuseLeewaySeconds: 0 }), 'rotated');
        assert.equal((await store.findToken(g.refresh.hash))?.rotatedAt, NOW + 1);

        await store.revokeFamily(g.family.id, NOW + 2);
        assert.equal((await view())?.familyRevokedAt, NOW + 2);
        assert.equal((await store.findToken(next[0]!.hash))?.familyRevokedAt, NOW + 2);
      });

      it('a token view read again after another instance revoked or deleted it is the changed one', async () => {
        const app = client();
        await store.createClient(app);
        const g = await saveGrant(store, grant(app.id, null));
        assert.equal(tokenState((await store.findToken(g.access.hash))!, NOW), 'active');

        const other = await fixture.twin();
        await other.revokeFamiliesOf({ clientId: app.id }, NOW + 5);
        await nextTurn();
        assert.equal((await store.findToken(g.access.hash))?.familyRevokedAt, NOW + 5);

        await other.deleteClient(app.id);
        await nextTurn();
        assert.equal(await store.findToken(g.access.hash), undefined);
      });

      it('a request begun after another instance committed sees the commit, even within one turn of the event loop', async () => {
        const app = client();
        await store.createClient(app);
        const g = await saveGrant(store, grant(app.id, null));
        const other = await fixture.twin();
        store.startRequest?.();
        assert.equal((await store.findToken(g.access.hash))?.familyRevokedAt, null);
        assert.equal((await store.findClient(app.id))?.enabled, true);
        // The CLI revokes and disables; its command has returned when the next request is sent.
        await other.revokeFamily(g.family.id, NOW + 7);
        await other.updateClient(app.id, { enabled: false });
        await fixture.settle?.();
        store.startRequest?.();
        assert.equal((await store.findToken(g.access.hash))?.familyRevokedAt, NOW + 7);
        assert.equal((await store.findClient(app.id))?.enabled, false);
      });

      it("a user created under a token's username makes the view's user enabled", async () => {
        const app = client();
        await store.createClient(app);
        const g = await saveGrant(store, grant(app.id, 'dave'));
        assert.equal((await store.findToken(g.access.hash))?.userEnabled, false, 'no such user: not enabled');
        await store.createUser(user('dave'));
        assert.equal((await store.findToken(g.access.hash))?.userEnabled, true);
        await store.deleteUser('dave');
        assert.equal((await store.findToken(g.access.hash))?.userEnabled, false);
      });
    });

    describe('throttle blocks', () => {
      it('records, lists running ones newest first, replaces per (counter, subject) and forgets on unlock', async () => {
        await store.recordThrottleBlock({ counter: 'user_ip', username: 'mallory', ip: '192.0.2.1', since: NOW, until: NOW + 300 });
        await store.recordThrottleBlock({ counter: 'user', username: 'mallory', ip: null, since: NOW + 1, until: NOW + 3600 });
        await store.recordThrottleBlock({ counter: 'ip', username: null, ip: '192.0.2.9', since: NOW + 2, until: NOW + 900 });
        // The same pair blocked again: one record, with the new times.
        await store.recordThrottleBlock({ counter: 'user_ip', username: 'mallory', ip: '192.0.2.1', since: NOW + 3, until: NOW + 303 });

        const all = await store.listThrottleBlocks({ now: NOW + 10 });
        assert.deepEqual(all, [
          { counter: 'user_ip', username: 'mallory', ip: '192.0.2.1', since: NOW + 3, until: NOW + 303 },
          { counter: 'ip', username: null, ip: '192.0.2.9', since: NOW + 2, until: NOW + 900 },
          { counter: 'user', username: 'mallory', ip: null, since: NOW + 1, until: NOW + 3600 },
        ]);
        assert.deepEqual((await store.listThrottleBlocks({ now: NOW + 400 })).map((block) => block.counter), ['ip', 'user'], 'ended blocks are not listed');
        assert.equal((await store.listThrottleBlocks({ now: NOW, username: 'mallory' })).length, 2);
        assert.equal((await store.listThrottleBlocks({ now: NOW, ip: '192.0.2.9' })).length, 1);

        assert.equal(await store.deleteThrottleBlocks({ username: 'mallory' }), 2);
        assert.equal(await store.deleteThrottleBlocks({ username: 'mallory' }), 0);
        assert.equal(await store.deleteThrottleBlocks({ ip: '192.0.2.9' }), 1);
        assert.deepEqual(await store.listThrottleBlocks({ now: 0 }), []);
      });

      it('a new block clears away records that ended more than a day before', async () => {
        await store.recordThrottleBlock({ counter: 'ip', username: null, ip: '192.0.2.50', since: NOW, until: NOW + 60 });
        await store.recordThrottleBlock({ counter: 'ip', username: null, ip: '192.0.2.51', since: NOW + 2 * 86_400, until: NOW + 2 * 86_400 + 60 });
        assert.deepEqual((await store.listThrottleBlocks({ now: 0 })).map((block) => block.ip), ['192.0.2.51']);
        await store.deleteThrottleBlocks({ ip: '192.0.2.51' });
      });
    });
  });
}
