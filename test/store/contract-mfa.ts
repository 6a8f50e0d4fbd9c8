import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import type { Client } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import type { Store } from '../../src/store/store.ts';
import type { StoreFixture } from './contract.ts';
import { client, NOW, user } from './contract-fixtures.ts';

function enrolment(username: string, overrides: { confirmedAt?: number | null; replaceConfirmed?: boolean; codes?: string[]; sealed?: string } = {}) {
  return {
    username,
    secretSealed: overrides.sealed ?? 'v1.sealed-secret',
    createdAt: NOW,
    confirmedAt: overrides.confirmedAt ?? null,
    replaceConfirmed: overrides.replaceConfirmed ?? false,
    recoveryCodeHashes: (overrides.codes ?? ['A', 'B', 'C']).map((code) => hashSecret(code)),
  };
}

/**
 * The storage contract of second factors (docs/mfa.md): factors, recovery codes and challenges, with
 * single use atomic in the database. Part of `storeContract` (contract.ts), run unchanged on every store.
 */
export function mfaContract(context: () => { store: Store; fixture: StoreFixture }): void {
  let store: Store;
  let app: Client;

  beforeEach(async () => {
    store = context().store;
    app = client();
    await store.createClient(app);
    await store.createUser(user('alice'));
  });

  describe('factors and recovery codes', () => {
    it('saves an enrolment, replaces an unconfirmed one, and keeps a confirmed one unless told', async () => {
      assert.equal(await store.findMfaFactor('alice'), undefined);
      assert.equal(await store.saveMfaFactor(enrolment('alice')), true);
      const saved = await store.findMfaFactor('alice');
      assert.deepEqual(saved, { username: 'alice', secretSealed: 'v1.sealed-secret', createdAt: NOW, confirmedAt: null, lastStep: 0, recoveryCodesLeft: 3 });
      assert.equal(await store.saveMfaFactor(enrolment('alice', { sealed: 'v1.second', confirmedAt: NOW + 1 })), true, 'an unconfirmed factor is replaced');
      assert.equal(await store.saveMfaFactor(enrolment('alice', { sealed: 'v1.third' })), false, 'a confirmed one is not');
      assert.equal((await store.findMfaFactor('alice'))!.secretSealed, 'v1.second');
      assert.equal(await store.saveMfaFactor(enrolment('alice', { sealed: 'v1.fourth', replaceConfirmed: true, codes: ['D'] })), true);
      assert.equal((await store.findMfaFactor('alice'))!.recoveryCodesLeft, 1, 'the old codes went with the old factor');
      assert.equal(await store.deleteMfaFactor('alice'), true);
      assert.equal(await store.findMfaFactor('alice'), undefined);
      assert.equal(await store.deleteMfaFactor('alice'), false);
    });

    it('accepts each time step once, later steps only, and confirms the factor with the first', async () => {
      await store.saveMfaFactor(enrolment('alice'));
      assert.equal(await store.useTotpStep('alice', 100, NOW), true);
      assert.equal((await store.findMfaFactor('alice'))!.confirmedAt, NOW);
      assert.equal(await store.useTotpStep('alice', 100, NOW + 1), false, 'replayed');
      assert.equal(await store.useTotpStep('alice', 99, NOW + 1), false, 'an earlier step');
      const twin = await context().fixture.twin();
      try {
        const raced = await Promise.all([store.useTotpStep('alice', 101, NOW + 2), twin.useTotpStep('alice', 101, NOW + 2)]);
        assert.deepEqual(raced.sort(), [false, true], 'of two instances racing on one code, one wins');
      } finally {
        await twin.close();
      }
      assert.equal(await store.useTotpStep('bob', 200, NOW), false, 'no factor');
    });

    it('spends a recovery code once, and only of a confirmed factor', async () => {
      await store.saveMfaFactor(enrolment('alice'));
      assert.equal(await store.spendRecoveryCode('alice', hashSecret('A'), NOW), false, 'not confirmed yet');
      await store.useTotpStep('alice', 1, NOW);
      const raced = await Promise.all([store.spendRecoveryCode('alice', hashSecret('A'), NOW), store.spendRecoveryCode('alice', hashSecret('A'), NOW)]);
      assert.deepEqual(raced.sort(), [false, true]);
      assert.equal(await store.spendRecoveryCode('alice', hashSecret('Z'), NOW), false);
      assert.equal((await store.findMfaFactor('alice'))!.recoveryCodesLeft, 2);
    });
  });

  describe('challenges', () => {
    it('counts attempts up to a bound, and is consumed once while live', async () => {
      const hash = hashSecret(generateSecret());
      await store.saveMfaChallenge({ hash, clientId: app.id, username: 'alice', scope: ['read', 'write'], createdAt: NOW, expiresAt: NOW + 300 });
      assert.deepEqual(await store.findMfaChallenge(hash), { hash, clientId: app.id, username: 'alice', scope: ['read', 'write'], createdAt: NOW, expiresAt: NOW + 300, attempts: 0, usedAt: null });
      assert.equal(await store.countMfaAttempt(hash, NOW, 2), true);
      assert.equal(await store.countMfaAttempt(hash, NOW, 2), true);
      assert.equal(await store.countMfaAttempt(hash, NOW, 2), false, 'the bound is reached');
      assert.equal(await store.consumeMfaChallenge(hash, NOW + 300), false, 'expired');
      const raced = await Promise.all([store.consumeMfaChallenge(hash, NOW), store.consumeMfaChallenge(hash, NOW)]);
      assert.deepEqual(raced.sort(), [false, true]);
      assert.equal((await store.findMfaChallenge(hash))!.usedAt, NOW);
      assert.equal(await store.countMfaAttempt(hash, NOW, 10), false, 'a spent challenge takes no guesses');
    });

    it('forgets expired challenges when a new one is made', async () => {
      const old = hashSecret(generateSecret());
      await store.saveMfaChallenge({ hash: old, clientId: app.id, username: 'alice', scope: [], createdAt: NOW, expiresAt: NOW + 300 });
      await store.saveMfaChallenge({ hash: hashSecret(generateSecret()), clientId: app.id, username: 'alice', scope: [], createdAt: NOW + 301, expiresAt: NOW + 601 });
      assert.equal(await store.findMfaChallenge(old), undefined);
      assert.equal(await store.deleteMfaChallengesOf('alice'), 1);
    });
  });
}
