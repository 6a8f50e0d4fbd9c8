import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { ManualClock } from '../../../src/core/clock.ts';
import type { TokenFamily, TokenRecord } from '../../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../../src/core/secrets.ts';
import { registerClient } from '../../../src/manage/clients.ts';
import { GroupCommit } from '../../../src/store/sqlite/group-commit.ts';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';

const NOW = 1_000_000;

function family(clientId: string): { family: TokenFamily; tokens: TokenRecord[] } {
  const id = randomUUID();
  const base = { familyId: id, clientId, username: null, scope: [], issuedAt: NOW, revokedAt: null, rotatedAt: null };
  return {
    family: { id, clientId, username: null, scope: [], refreshCount: 0, createdAt: NOW, revokedAt: null },
    tokens: [
      { ...base, hash: hashSecret(generateSecret()), kind: 'access', expiresAt: NOW + 3600 },
      { ...base, hash: hashSecret(generateSecret()), kind: 'refresh', expiresAt: NOW + 86_400 },
    ],
  };
}

describe('SQLite group commit (token writes of one event-loop turn share a transaction)', () => {
  let dir: string;
  let store: SqliteStore;
  let clientId: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-group-'));
    store = new SqliteStore(join(dir, 'db.sqlite'));
    await store.migrate();
    clientId = (await registerClient(store, new ManualClock(), { name: 'c', type: 'confidential', grants: ['password', 'refresh_token'] })).client.id;
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits every concurrent write before its promise settles', async () => {
    const families = Array.from({ length: 50 }, () => family(clientId));
    await Promise.all(families.map(({ family: f, tokens }) => store.saveFamily(f, tokens)));
    // A second connection sees only committed data.
    const reader = new Database(join(dir, 'db.sqlite'), { readonly: true });
    try {
      for (const { tokens } of families) {
        for (const token of tokens) assert.ok(reader.prepare('SELECT 1 FROM tokens WHERE hash = ?').get(Buffer.from(token.hash, 'base64url')), 'committed');
      }
    } finally {
      reader.close();
    }
  });

  it('rejects a failing write alone and keeps the others of its group', async () => {
    const good = [family(clientId), family(clientId)];
    const bad = family('no-such-client');
    const results = await Promise.allSettled([
      store.saveFamily(good[0]!.family, good[0]!.tokens),
      store.saveFamily(bad.family, bad.tokens),
      store.saveFamily(good[1]!.family, good[1]!.tokens),
    ]);
    assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.ok(await store.findToken(good[0]!.tokens[0]!.hash));
    assert.ok(await store.findToken(good[1]!.tokens[1]!.hash));
    assert.equal(await store.findFamily(bad.family.id), undefined);
    assert.equal(await store.findToken(bad.tokens[0]!.hash), undefined);
  });

  it('still lets exactly one of two concurrent rotations of one refresh token win', async () => {
    const { family: f, tokens } = family(clientId);
    await store.saveFamily(f, tokens);
    const presentedHash = tokens[1]!.hash;
    const next = () => [family(clientId).tokens[1]!];
    const outcomes = await Promise.all([
      store.rotateRefreshToken({ presentedHash, now: NOW + 1, refreshLimit: null, newTokens: next() }),
      store.rotateRefreshToken({ presentedHash, now: NOW + 1, refreshLimit: null, newTokens: next() }),
    ]);
    assert.deepEqual([...outcomes].sort(), ['already_rotated', 'rotated']);
    assert.equal((await store.findFamily(f.id))!.refreshCount, 1);
  });

  it('undoes a rotation refused by the refresh limit without touching the rest of the group', async () => {
    const limited = family(clientId);
    const other = family(clientId);
    await store.saveFamily(limited.family, limited.tokens);
    const [outcome] = await Promise.all([
      store.rotateRefreshToken({ presentedHash: limited.tokens[1]!.hash, now: NOW + 1, refreshLimit: 0, newTokens: [family(clientId).tokens[1]!] }),
      store.saveFamily(other.family, other.tokens),
    ]);
    assert.equal(outcome, 'limit_reached');
    assert.equal((await store.findToken(limited.tokens[1]!.hash))!.rotatedAt, null);
    assert.ok(await store.findToken(other.tokens[0]!.hash));
  });

  it('fails the whole group, committing nothing more, when SQLite has rolled the transaction back itself', async () => {
    // As after SQLITE_FULL or an I/O error: the transaction is gone when the write throws.
    const db = new Database(join(dir, 'rollback.sqlite'));
    try {
      db.exec('CREATE TABLE t (n INTEGER)');
      const group = new GroupCommit(db);
      const insert = (n: number) => () => db.prepare('INSERT INTO t (n) VALUES (?)').run(n);
      const results = await Promise.allSettled([
        group.run(insert(1)),
        group.run(() => {
          db.exec('ROLLBACK');
          throw new Error('the database rolled back');
        }),
        group.run(insert(3)),
      ]);
      assert.deepEqual(results.map((result) => result.status), ['rejected', 'rejected', 'rejected']);
      assert.deepEqual(db.prepare('SELECT n FROM t').all(), [], 'no write of the failed group is stored');
    } finally {
      db.close();
    }
  });

  it('does not run a group twice when the database is locked: the writes fail after one busy timeout', async () => {
    const path = join(dir, 'busy.sqlite');
    const db = new Database(path);
    const other = new Database(path);
    try {
      db.exec('CREATE TABLE t (n INTEGER)');
      db.pragma('busy_timeout = 200');
      other.exec('BEGIN IMMEDIATE');
      let runs = 0;
      // Each BEGIN IMMEDIATE on a locked database waits one busy timeout: count the attempts.
      let begins = 0;
      const countingBegins = {
        get inTransaction() {
          return db.inTransaction;
        },
        transaction(fn: (...args: never[]) => unknown) {
          const transaction = db.transaction(fn);
          return Object.assign((...args: never[]) => transaction(...args), {
            immediate: (...args: never[]) => {
              begins++;
              return transaction.immediate(...args);
            },
          });
        },
      } as unknown as Database.Database;
      const group = new GroupCommit(countingBegins);
      await assert.rejects(
        group.run(() => {
          runs++;
          return db.prepare('INSERT INTO t (n) VALUES (1)').run();
        }),
        /locked|busy/i,
      );
      assert.equal(runs, 0, 'BEGIN IMMEDIATE failed before any write ran');
      assert.equal(begins, 1, 'one busy timeout, not two');
    } finally {
      other.exec('ROLLBACK');
      other.close();
      db.close();
    }
  });
});
