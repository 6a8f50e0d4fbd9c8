import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import type { AuthorizationCode, Client, LoginSession, TokenFamily, TokenRecord } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import type { Store } from '../../src/store/store.ts';
import type { StoreFixture } from './contract.ts';
import { client, grant, NOW, user } from './contract-fixtures.ts';

/** An unused code of `clientId` for `username`, issued at NOW, living 60 s. */
function code(clientId: string, username: string, overrides: Partial<AuthorizationCode> = {}): AuthorizationCode {
  return {
    hash: hashSecret(generateSecret()),
    clientId,
    username,
    redirectUri: 'https://app.example/cb',
    redirectUriGiven: true,
    scope: ['read', 'write'],
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    nonce: 'n-0S6_WzA2Mj',
    authTime: NOW - 30,
    amr: ['pwd'],
    issuedAt: NOW,
    expiresAt: NOW + 60,
    usedAt: null,
    familyId: null,
    ...overrides,
  };
}

/** The family and tokens a redemption of `c` at `at` would start. */
function firstTokens(c: AuthorizationCode, at: number): { family: TokenFamily; tokens: TokenRecord[] } {
  const g = grant(c.clientId, c.username, { at });
  return { family: g.family, tokens: [g.access, g.refresh] };
}

/**
 * The storage contract of the authorization code grant: codes, login sessions and consents. Part of
 * `storeContract` (contract.ts), run unchanged on every store.
 */
export function authorizationContract(context: () => { store: Store; fixture: StoreFixture }): void {
  let store: Store;
  let app: Client;

  beforeEach(async () => {
    store = context().store;
    app = client();
    await store.createClient(app);
    await store.createUser(user('alice'));
    await store.createUser(user('bob'));
  });

  describe('authorization codes', () => {
    it('saves a code and finds it by hash, with everything it is bound to', async () => {
      const c = code(app.id, 'alice');
      await store.saveAuthorizationCode(c);
      assert.deepEqual(await store.findAuthorizationCode(c.hash), c);
      const bare = code(app.id, 'bob', { codeChallenge: null, nonce: null, redirectUriGiven: false, scope: [] });
      await store.saveAuthorizationCode(bare);
      assert.deepEqual(await store.findAuthorizationCode(bare.hash), bare);
      assert.equal(await store.findAuthorizationCode(hashSecret('unknown')), undefined);
    });

    it('a redemption spends the code and starts its family in one step; a second is already_used', async () => {
      const c = code(app.id, 'alice');
      await store.saveAuthorizationCode(c);
      const first = firstTokens(c, NOW + 5);
      assert.equal(await store.redeemAuthorizationCode({ hash: c.hash, now: NOW + 5, ...first }), 'redeemed');
      assert.deepEqual(await store.findAuthorizationCode(c.hash), { ...c, usedAt: NOW + 5, familyId: first.family.id });
      assert.ok(await store.findToken(first.tokens[0]!.hash), 'the tokens are stored');

      const second = firstTokens(c, NOW + 6);
      assert.equal(await store.redeemAuthorizationCode({ hash: c.hash, now: NOW + 6, ...second }), 'already_used');
      assert.equal(await store.findFamily(second.family.id), undefined, 'the loser stores nothing');
      assert.equal((await store.findAuthorizationCode(c.hash))?.familyId, first.family.id, 'and the first family stays recorded');
    });

    it('an expired or unknown code is not_live and stores nothing', async () => {
      const c = code(app.id, 'alice');
      await store.saveAuthorizationCode(c);
      const late = firstTokens(c, NOW + 60);
      assert.equal(await store.redeemAuthorizationCode({ hash: c.hash, now: NOW + 60, ...late }), 'not_live', 'expiry is inclusive');
      assert.equal((await store.findAuthorizationCode(c.hash))?.usedAt, null);
      assert.equal(await store.findFamily(late.family.id), undefined);
      const unknown = firstTokens(c, NOW);
      assert.equal(await store.redeemAuthorizationCode({ hash: hashSecret('unknown'), now: NOW, ...unknown }), 'not_live');
    });

    it('one code redeemed by two instances at the same moment: exactly one winner', async () => {
      const other = await context().fixture.twin();
      try {
        for (let round = 0; round < 10; round++) {
          const c = code(app.id, 'alice');
          await store.saveAuthorizationCode(c);
          const [x, y] = [firstTokens(c, NOW + 1), firstTokens(c, NOW + 1)];
          const outcomes = await Promise.all([
            store.redeemAuthorizationCode({ hash: c.hash, now: NOW + 1, ...x }),
            other.redeemAuthorizationCode({ hash: c.hash, now: NOW + 1, ...y }),
          ]);
          assert.deepEqual([...outcomes].sort(), ['already_used', 'redeemed'], `round ${round}`);
          const winner = outcomes[0] === 'redeemed' ? x : y;
          assert.equal((await store.findAuthorizationCode(c.hash))?.familyId, winner.family.id);
        }
      } finally {
        await other.close();
      }
    });

    it('deletes a user\'s codes; codes go with their user or client', async () => {
      const [a1, a2, b1] = [code(app.id, 'alice'), code(app.id, 'alice'), code(app.id, 'bob')];
      for (const c of [a1, a2, b1]) await store.saveAuthorizationCode(c);
      assert.equal(await store.deleteAuthorizationCodesOf('alice'), 2);
      assert.equal(await store.findAuthorizationCode(a1.hash), undefined);
      assert.ok(await store.findAuthorizationCode(b1.hash));
      await store.deleteUser('bob');
      assert.equal(await store.findAuthorizationCode(b1.hash), undefined);
      const c = code(app.id, 'alice');
      await store.saveAuthorizationCode(c);
      await store.deleteClient(app.id);
      assert.equal(await store.findAuthorizationCode(c.hash), undefined);
    });

    it('purges codes expired by the given time, in bounded batches', async () => {
      const old = [code(app.id, 'alice', { expiresAt: NOW }), code(app.id, 'alice', { expiresAt: NOW + 10 }), code(app.id, 'bob', { expiresAt: NOW + 20 })];
      const young = code(app.id, 'bob', { expiresAt: NOW + 21 });
      for (const c of [...old, young]) await store.saveAuthorizationCode(c);
      assert.equal(await store.purgeAuthorizationCodes(NOW + 20, 2), 2);
      assert.equal(await store.purgeAuthorizationCodes(NOW + 20, 2), 1);
      assert.equal(await store.purgeAuthorizationCodes(NOW + 20, 2), 0);
      assert.ok(await store.findAuthorizationCode(young.hash));
    });

    it('refuses a code of an unknown user or client', async () => {
      await assert.rejects(store.saveAuthorizationCode(code(app.id, 'nobody')));
      await assert.rejects(store.saveAuthorizationCode(code(randomUUID(), 'alice')));
    });
  });

  describe('login sessions', () => {
    const session = (username: string, overrides: Partial<LoginSession> = {}): LoginSession => ({
      idHash: hashSecret(generateSecret()),
      username,
      authTime: NOW,
      amr: ['pwd'],
      lastSeenAt: NOW,
      expiresAt: NOW + 36_000,
      ip: '192.0.2.1',
      ...overrides,
    });

    it('creates, finds by the hash of the id, and lists a user\'s sessions newest first', async () => {
      const older = session('alice', { ip: null });
      const newer = session('alice', { authTime: NOW + 100, lastSeenAt: NOW + 100 });
      const bobs = session('bob');
      for (const s of [older, newer, bobs]) await store.createLoginSession(s);
      assert.deepEqual(await store.findLoginSession(older.idHash), older);
      assert.equal(await store.findLoginSession(hashSecret('unknown')), undefined);
      assert.deepEqual(await store.listLoginSessions('alice'), [newer, older]);
      assert.deepEqual(await store.listLoginSessions('nobody'), []);
      await assert.rejects(store.createLoginSession(session('nobody')), 'a session of an unknown user is refused');
    });

    it('touch moves the last use forward only', async () => {
      const s = session('alice');
      await store.createLoginSession(s);
      await store.touchLoginSession(s.idHash, NOW + 50);
      await store.touchLoginSession(s.idHash, NOW + 20);
      assert.equal((await store.findLoginSession(s.idHash))?.lastSeenAt, NOW + 50);
    });

    it('ends one session or all of a user\'s; deleting the user ends them too', async () => {
      const [a1, a2, b1] = [session('alice'), session('alice'), session('bob')];
      for (const s of [a1, a2, b1]) await store.createLoginSession(s);
      assert.equal(await store.deleteLoginSession(a1.idHash), true);
      assert.equal(await store.deleteLoginSession(a1.idHash), false);
      assert.equal(await store.deleteLoginSessionsOf('alice'), 1);
      assert.deepEqual(await store.listLoginSessions('alice'), []);
      await store.deleteUser('bob');
      assert.equal(await store.findLoginSession(b1.idHash), undefined);
    });

    it('purges sessions past their absolute expiry or idle too long', async () => {
      const expired = session('alice', { lastSeenAt: NOW + 90, expiresAt: NOW + 100 });
      const idle = session('alice', { lastSeenAt: NOW + 9 });
      const live = session('bob', { lastSeenAt: NOW + 10, expiresAt: NOW + 101 });
      for (const s of [expired, idle, live]) await store.createLoginSession(s);
      assert.equal(await store.purgeLoginSessions(NOW + 100, NOW + 10), 2);
      assert.deepEqual(await store.listLoginSessions('alice'), []);
      assert.deepEqual(await store.listLoginSessions('bob'), [live]);
    });
  });

  describe('consents', () => {
    it('saves (creates or replaces), finds, lists by user and by client, and withdraws', async () => {
      const other = client();
      await store.createClient(other);
      await store.saveConsent({ username: 'alice', clientId: app.id, scope: ['read'], grantedAt: NOW });
      await store.saveConsent({ username: 'alice', clientId: app.id, scope: ['read', 'write'], grantedAt: NOW + 5 });
      await store.saveConsent({ username: 'alice', clientId: other.id, scope: [], grantedAt: NOW + 6 });
      await store.saveConsent({ username: 'bob', clientId: app.id, scope: ['read'], grantedAt: NOW + 7 });
      assert.deepEqual(await store.findConsent('alice', app.id), { username: 'alice', clientId: app.id, scope: ['read', 'write'], grantedAt: NOW + 5 });
      assert.equal(await store.findConsent('bob', other.id), undefined);
      assert.deepEqual(
        (await store.listConsents({ username: 'alice' })).map((c) => c.clientId),
        [app.id, other.id].sort(),
      );
      assert.deepEqual((await store.listConsents({ clientId: app.id })).map((c) => c.username), ['alice', 'bob']);
      assert.equal(await store.deleteConsent('alice', app.id), true);
      assert.equal(await store.deleteConsent('alice', app.id), false);
      assert.equal(await store.findConsent('alice', app.id), undefined);
    });

    it('consents go with their user or client', async () => {
      await store.saveConsent({ username: 'alice', clientId: app.id, scope: ['read'], grantedAt: NOW });
      await store.saveConsent({ username: 'bob', clientId: app.id, scope: ['read'], grantedAt: NOW });
      await store.deleteUser('alice');
      assert.deepEqual((await store.listConsents({ clientId: app.id })).map((c) => c.username), ['bob']);
      await store.deleteClient(app.id);
      assert.deepEqual(await store.listConsents({ username: 'bob' }), []);
    });
  });
}
