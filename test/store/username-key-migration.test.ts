import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { compileDdl, readMigrations } from '../../src/store/sql/migrations.ts';
import type { Dialect } from '../../src/store/sql/statement.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { ConflictError, type Store } from '../../src/store/store.ts';
import { createTestDatabase, createTestSchema, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { user } from './contract-fixtures.ts';

/** A connection to a database as the release before migration 0021 left it (`$n` parameters). */
interface OldDatabase {
  exec(script: string): Promise<void>;
  run(text: string, params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Migration 0021 makes the canonical username key unique: a database that already holds names that
 * are one (from before 0011) migrates, keeps every account, and still refuses a new spelling.
 */
async function duplicatesSurvive(dialect: Dialect, old: OldDatabase, open: () => Store): Promise<void> {
  await old.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
  for (const migration of readMigrations().filter((m) => m.version < 21)) {
    if (!migration.only || migration.only === dialect) await old.exec(compileDdl(migration.script, dialect));
    await old.run('INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)', [migration.version]);
  }
  const insert = 'INSERT INTO users (username, password_hash, enabled, created_at, username_key) VALUES ($1, $2, TRUE, 0, $3)';
  for (const [name, key] of [['carol', 'carol'], ['Carol', 'carol'], ['CAROL', 'carol'], ['dave', 'dave']]) await old.run(insert, [name, 'hash', key]);

  const store = open();
  try {
    assert.deepEqual(await store.migrate(), readMigrations().filter((m) => m.version >= 21).map((m) => m.version));
    assert.deepEqual((await store.usernameCollisions()).map((names) => names.sort()), [['CAROL', 'Carol', 'carol']]);
    for (const name of ['CAROL', 'Carol', 'carol']) assert.equal((await store.findUser(name))?.username, name, 'each spelling is still its own account');
    await assert.rejects(store.createUser(user('cAROL')), ConflictError);
    await assert.rejects(store.createUser(user('DAVE')), ConflictError);
    await store.createUser(user('erin'));
    await assert.rejects(store.createUser(user('Erin')), ConflictError);
  } finally {
    await store.close();
  }
}

describe('migration 0021: one canonical username, enforced by the database', () => {
  it('SQLite: names that were one before keep their accounts, and a new spelling is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-0021-'));
    const path = join(dir, 'db.sqlite');
    const db = new Database(path);
    // As the SQLite store's connection has it, for migration 0014.
    db.function('base64url_bytes', (text: unknown) => (typeof text === 'string' ? Buffer.from(text, 'base64url') : text));
    const old: OldDatabase = {
      exec: async (script) => void db.exec(script),
      run: async (text, params) => void db.prepare(text.replace(/\$\d+/g, '?').replace('TRUE', '1')).run(...params),
      close: async () => void db.close(),
    };
    try {
      await duplicatesSurvive('sqlite', old, () => new SqliteStore(path));
    } finally {
      await old.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('PostgreSQL', async () => {
    if (!(await requirePostgres('migration 0021 on PostgreSQL'))) return;
    let database: TestDatabase;
    before(async () => {
      database = await createTestDatabase();
    });
    after(async () => {
      await database.drop();
    });

    it('names that were one before keep their accounts, and a new spelling is refused', async () => {
      const url = await createTestSchema(database.url, 'before_0021');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const old: OldDatabase = {
        exec: async (script) => void (await client.query(script)),
        run: async (text, params) => void (await client.query(text, params)),
        close: () => client.end(),
      };
      try {
        await duplicatesSurvive('postgres', old, () => new PostgresStore(url));
      } finally {
        await old.close();
      }
    });
  });
});
