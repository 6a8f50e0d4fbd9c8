import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenRecord } from '../../src/core/model.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

/** The store methods this issue added, on SQLite: audit records, conditional hash upgrade, reuse leeway. */
describe('SQLite store: audit, password-hash upgrade, refresh leeway', () => {
  let dir: string;
  let store: SqliteStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-store-'));
    store = new SqliteStore(join(dir, 'store.db'));
    await store.migrate();
    await store.createUser({ username: 'u', passwordHash: 'old-hash', groups: [], enabled: true, createdAt: 1 });
    await store.createClient({
      id: 'c', name: 'c', version: '', description: '', type: 'public', secretHash: null, grants: ['password', 'refresh_token'],
      scopes: [], accessTokenTtl: 'global', refreshLimit: null, refreshTokenTtl: 1000, enabled: true, introspect: false, serviceUser: null, createdAt: 1,
    });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('appendAudit and listAudit: newest first, paging backwards, optional fields omitted', async () => {
    await store.appendAudit([
      { at: 10, type: 'login.failed', ip: '192.0.2.1', username: 'u', reason: 'wrong_password' },
      { at: 11, type: 'token.issued', clientId: 'c', username: 'u', detail: { grant_type: 'password', family: 'f' } },
      { at: 12, type: 'client.deleted', clientId: 'c' },
    ]);
    const all = await store.listAudit({ limit: 10 });
    assert.deepEqual(all.map((record) => record.type), ['client.deleted', 'token.issued', 'login.failed']);
    assert.deepEqual(all[1], { id: all[1]!.id, at: 11, type: 'token.issued', clientId: 'c', username: 'u', detail: { grant_type: 'password', family: 'f' } });
    assert.deepEqual(all[2], { id: all[2]!.id, at: 10, type: 'login.failed', ip: '192.0.2.1', username: 'u', reason: 'wrong_password' });
    const page = await store.listAudit({ limit: 1, beforeId: all[0]!.id });
    assert.deepEqual(page.map((record) => record.type), ['token.issued']);
  });

  test('replacePasswordHash only replaces the hash it was given', async () => {
    assert.equal(await store.replacePasswordHash('u', 'not-the-current', 'new-hash'), false);
    assert.equal((await store.findUser('u'))!.passwordHash, 'old-hash');
    assert.equal(await store.replacePasswordHash('u', 'old-hash', 'new-hash'), true);
    assert.equal((await store.findUser('u'))!.passwordHash, 'new-hash');
  });

  function refresh(hash: string, issuedAt: number): TokenRecord {
    return { hash, kind: 'refresh', familyId: 'fam', clientId: 'c', username: 'u', scope: [], issuedAt, expiresAt: issuedAt + 1000, revokedAt: null, rotatedAt: null };
  }

  test('the leeway reaches exactly one step back, and only while the replacement is unused', async () => {
    await store.saveFamily({ id: 'fam', clientId: 'c', username: 'u', scope: [], refreshCount: 0, createdAt: 100, revokedAt: null }, [refresh('r1', 100)]);
    const rotate = (presented: string, next: string, now: number, leeway = 0) =>
      store.rotateRefreshToken({ presentedHash: presented, now, refreshLimit: null, newTokens: [refresh(next, now)], reuseLeewaySeconds: leeway });
    assert.equal(await rotate('r1', 'r2', 101), 'rotated');
    assert.equal(await rotate('r1', 'x', 102), 'already_rotated', 'strict without a leeway');
    assert.equal(await rotate('r1', 'r3', 105, 5), 'rotated', 'r1 stands in for the unused r2');
    assert.equal((await store.findToken('r2'))!.rotatedAt, 105);
    assert.equal(await rotate('r1', 'y', 106, 5), 'already_rotated', 'r2 is used now: r1 is two steps back');
    assert.equal(await rotate('r2', 'r4', 106, 5), 'rotated', 'r2 is the immediately previous of r3');
    assert.equal(await rotate('r3', 'z', 200, 5), 'already_rotated', 'past the leeway');
  });
});
