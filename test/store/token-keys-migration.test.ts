import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { compileDdl, readMigrations } from '../../src/store/sql/migrations.ts';
import type { Dialect } from '../../src/store/sql/statement.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, createTestSchema, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';

const NOW = 1_000_000;

/** A connection to a database as the release before migration 0014 left it (`$n` parameters). */
interface OldDatabase {
  exec(script: string): Promise<void>;
  run(text: string, params: unknown[]): Promise<void>;
  keys(): Promise<{ hash: unknown; replaced_by: unknown }[]>;
  close(): Promise<void>;
}

/**
 * Migration 0014 turns the token keys stored as base64url text into their 32 bytes: a database
 * written by the release before it keeps every token, which still introspects and refreshes.
 */
async function oldTokensSurvive(dialect: Dialect, old: OldDatabase, open: () => Store): Promise<void> {
  for (const migration of readMigrations().filter((m) => m.version < 14)) {
    await old.exec(compileDdl(migration.script, dialect));
    await old.run('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [migration.version]);
  }
  const clientId = randomUUID();
  const familyId = randomUUID();
  await old.run("INSERT INTO clients (id, name, type, grants, refresh_ttl, created_at) VALUES ($1, 'app', 'confidential', 'password refresh_token', 3600, 0)", [clientId]);
  await old.run("INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES ($1, $2, NULL, 'read', 1, $3)", [familyId, clientId, NOW]);
  const [access, spent, live] = [hashSecret(generateSecret()), hashSecret(generateSecret()), hashSecret(generateSecret())];
  const insert =
    'INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at, rotated_at, replaced_by) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8, $9)';
  await old.run(insert, [access, 'access', familyId, clientId, 'read', NOW, NOW + 3600, null, null]);
  // A refresh token rotated a moment ago into `live`: within a reuse leeway it may stand in for it.
  await old.run(insert, [spent, 'refresh', familyId, clientId, 'read', NOW - 10, NOW + 86_400, NOW, live]);
  await old.run(insert, [live, 'refresh', familyId, clientId, 'read', NOW, NOW + 86_400, null, null]);

  const store = open();
  try {
    assert.deepEqual(await store.migrate(), readMigrations().filter((m) => m.version >= 14).map((m) => m.version));
    const keys = await old.keys();
    assert.equal(keys.length, 3);
    for (const key of keys) assert.equal((key.hash as Buffer).length, 32, 'keys are stored as 32 bytes');
    assert.deepEqual(keys.map((key) => key.replaced_by).filter((key) => key !== null), [Buffer.from(live, 'base64url')]);

    const view = await store.findToken(access);
    assert.equal(view?.hash, access);
    assert.equal(view?.kind, 'access');
    assert.deepEqual(view?.scope, ['read']);
    const next = hashSecret(generateSecret());
    const newTokens = [
      { hash: next, kind: 'refresh' as const, familyId, clientId, username: null, scope: ['read'], issuedAt: NOW + 1, expiresAt: NOW + 86_400, revokedAt: null, rotatedAt: null },
    ];
    // The spent token reaches its replacement through the converted replaced_by.
    assert.equal(await store.rotateRefreshToken({ presentedHash: spent, now: NOW + 1, refreshLimit: null, newTokens, reuseLeewaySeconds: 5 }), 'rotated');
    assert.equal((await store.findToken(live))?.rotatedAt, NOW + 1);
    assert.equal((await store.findToken(next))?.rotatedAt, null);
  } finally {
    await store.close();
  }
}

describe('migration 0014: token keys as bytes', () => {
  it('SQLite: an old database keeps its tokens, which still introspect and refresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-0014-'));
    const path = join(dir, 'db.sqlite');
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
    const old: OldDatabase = {
      exec: async (script) => void db.exec(script),
      run: async (text, params) => void db.prepare(text.replace(/\$\d+/g, '?')).run(...params),
      keys: async () => db.prepare('SELECT hash, replaced_by FROM tokens').all() as { hash: unknown; replaced_by: unknown }[],
      close: async () => void db.close(),
    };
    try {
      await oldTokensSurvive('sqlite', old, () => new SqliteStore(path));
    } finally {
      await old.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL', async () => {
    if (!(await requirePostgres('migration 0014 on PostgreSQL'))) return;
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase();
    });
    after(async () => {
      await database.drop();
    });

    it('an old database keeps its tokens, which still introspect and refresh', async () => {
      const url = await createTestSchema(database.url, 'before_0014');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
      const old: OldDatabase = {
        exec: async (script) => void (await client.query(script)),
        run: async (text, params) => void (await client.query(text, params)),
        keys: async () => (await client.query<{ hash: unknown; replaced_by: unknown }>('SELECT hash, replaced_by FROM tokens')).rows,
        close: () => client.end(),
      };
      try {
        await oldTokensSurvive('postgres', old, () => new PostgresStore(url));
      } finally {
        await old.close();
      }
    });
  });
});
