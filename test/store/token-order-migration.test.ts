import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { compileDdl, readMigrations } from '../../src/store/sql/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

const NOW = 1_000_000;
const TOKENS = 'INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at, rotated_at, replaced_by) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)';

/**
 * Migration 0023 (SQLite) rebuilds the tokens table as a rowid table, so that new rows and their
 * index entries are appended (docs/architecture.md): a database written before it keeps every token,
 * which still introspects, refreshes and revokes, and the read caches still hear of its changes.
 */
describe('migration 0023: tokens stored in issue order (SQLite)', () => {
  let dir: string;
  let path: string;
  const clientId = randomUUID();
  const familyId = randomUUID();
  // Issued in this order; their keys, being hashes, sort in another.
  const [spent, live, access] = [generateSecret(), generateSecret(), generateSecret()].map(hashSecret) as [string, string, string];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-0023-'));
    path = join(dir, 'db.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    db.function('base64url_bytes', (text: unknown) => (typeof text === 'string' ? Buffer.from(text, 'base64url') : null));
    for (const migration of readMigrations().filter((m) => m.version < 23)) {
      if (migration.only !== 'postgres') db.exec(compileDdl(migration.script, 'sqlite'));
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)').run(migration.version);
    }
    assert.match(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'tokens'").pluck().get() as string, /WITHOUT ROWID/, 'the table as 0014 made it');
    db.prepare("INSERT INTO clients (id, name, type, grants, refresh_ttl, created_at) VALUES (?, 'app', 'confidential', 'password refresh_token', 3600, 0)").run(clientId);
    db.prepare("INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES (?, ?, NULL, 'read', 1, ?)").run(familyId, clientId, NOW);
    const key = (hash: string) => Buffer.from(hash, 'base64url');
    // A refresh token rotated a moment ago into `live`: within a reuse leeway it may stand in for it.
    db.prepare(TOKENS).run(key(spent), 'refresh', familyId, clientId, 'read', NOW - 10, NOW + 86_400, NOW, key(live));
    db.prepare(TOKENS).run(key(live), 'refresh', familyId, clientId, 'read', NOW, NOW + 86_400, null, null);
    db.prepare(TOKENS).run(key(access), 'access', familyId, clientId, 'read', NOW + 1, NOW + 3600, null, null);
    db.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every token, now in issue order, with the same key, indexes and cache triggers', async () => {
    const store = new SqliteStore(path);
    try {
      assert.deepEqual(await store.migrate(), readMigrations().filter((m) => m.version >= 23).map((m) => m.version));
    } finally {
      await store.close();
    }
    const db = new Database(path);
    try {
      assert.doesNotMatch(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'tokens'").pluck().get() as string, /WITHOUT ROWID/);
      const inRowOrder = (db.prepare('SELECT hash FROM tokens ORDER BY rowid').pluck().all() as Buffer[]).map((hash) => hash.toString('base64url'));
      assert.deepEqual(inRowOrder, [spent, live, access]);
      assert.deepEqual(
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'tokens' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all(),
        ['tokens_client_alone', 'tokens_expires', 'tokens_family', 'tokens_revoked'],
      );
      assert.deepEqual(
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'tokens' ORDER BY name").pluck().all(),
        ['portcullis_cache_token_changed', 'portcullis_cache_token_deleted'],
      );
      // The key is still the key: a second row with it is refused.
      assert.throws(() => db.prepare(TOKENS).run(Buffer.from(access, 'base64url'), 'access', familyId, clientId, 'read', NOW, NOW + 60, null, null), /UNIQUE constraint failed: tokens\.hash/);
      // Another connection's change to an access token is logged for every process's read cache.
      const before = db.prepare('SELECT coalesce(max(seq), 0) FROM cache_changes').pluck().get() as number;
      db.prepare('UPDATE tokens SET revoked_at = ? WHERE hash = ?').run(NOW + 2, Buffer.from(access, 'base64url'));
      assert.deepEqual(db.prepare('SELECT table_name, key FROM cache_changes WHERE seq > ?').all(before), [{ table_name: 'tokens', key: Buffer.from(access, 'base64url') }]);
      db.prepare('UPDATE tokens SET revoked_at = NULL WHERE hash = ?').run(Buffer.from(access, 'base64url'));
    } finally {
      db.close();
    }
  });

  it('the migrated tokens introspect and refresh as before', async () => {
    const store = new SqliteStore(path);
    try {
      await store.migrate();
      const view = await store.findToken(access);
      assert.equal(view?.kind, 'access');
      assert.deepEqual(view?.scope, ['read']);
      const next = hashSecret(generateSecret());
      const newTokens = [
        { hash: next, kind: 'refresh' as const, familyId, clientId, username: null, scope: ['read'], issuedAt: NOW + 3, expiresAt: NOW + 86_400, revokedAt: null, rotatedAt: null },
      ];
      // The spent token reaches its replacement through replaced_by, within the leeway.
      assert.equal(await store.rotateRefreshToken({ presentedHash: spent, now: NOW + 3, refreshLimit: null, newTokens, reuseLeewaySeconds: 5 }), 'rotated');
      assert.equal((await store.findToken(live))?.rotatedAt, NOW + 3);
      assert.equal((await store.findToken(next))?.rotatedAt, null);
      assert.equal(await store.revokeFamily(familyId, NOW + 4), true);
      assert.equal((await store.findToken(access))?.familyRevokedAt, NOW + 4, 'revoked with its family');
    } finally {
      await store.close();
    }
  });
});
