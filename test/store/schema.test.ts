import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { compileDdl, readMigrations } from '../../src/store/sql/migrations.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.ts';

/** A schema as both databases can describe it: what a statement written once may rely on. */
interface Schema {
  /** Per table: `column type null|not null default`, in column order. */
  columns: Record<string, string[]>;
  /** Per table: the primary key's columns, and every other index (by name; a UNIQUE constraint by its columns). */
  indexes: Record<string, string[]>;
  /** Per table: `column -> table(column) on delete`. */
  foreignKeys: Record<string, string[]>;
}

/** Declared types by how the value is stored: SQLite has only integer and text affinities here. */
function family(type: string): string {
  if (/int|boolean/i.test(type)) return 'integer';
  if (/char|text|clob/i.test(type)) return 'text';
  if (/blob|bytea/i.test(type)) return 'blob';
  return type.toLowerCase();
}

/** PostgreSQL's `'[]'::text` and `true` are SQLite's `'[]'` and `1`. */
function normalDefault(value: string | null): string {
  if (value === null) return 'no default';
  const bare = value.replace(/::[a-z ]+$/, '');
  return `default ${bare === 'true' ? '1' : bare === 'false' ? '0' : bare}`;
}

function column(name: string, type: string, notNull: boolean, dflt: string | null): string {
  return `${name} ${family(type)} ${notNull ? 'not null' : 'null'} ${normalDefault(dflt)}`;
}

function sqliteSchema(db: Database.Database): Schema {
  const schema: Schema = { columns: {}, indexes: {}, foreignKeys: {} };
  // cache_changes is SQLite's alone (migration 0016: PostgreSQL notifies instead).
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'cache_changes' ORDER BY name").pluck().all() as string[];
  for (const table of tables) {
    const info = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[];
    // A primary key column holds no NULL in PostgreSQL; in SQLite only by our own care (rowid tables allow it).
    schema.columns[table] = info.map((c) => column(c.name, c.type, c.notnull === 1 || c.pk > 0, c.dflt_value));
    const key = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const list = db.prepare(`PRAGMA index_list(${table})`).all() as { name: string; unique: number; origin: string; partial: number }[];
    const others = list
      .filter((index) => index.origin !== 'pk')
      .map((index) => {
        const columns = (db.prepare(`PRAGMA index_info(${index.name})`).all() as { name: string }[]).map((c) => c.name).join(', ');
        const name = index.origin === 'u' ? `unique constraint (${columns})` : `${index.name} (${columns})`;
        return `${name}${index.unique ? ' unique' : ''}${index.partial ? ' partial' : ''}`;
      });
    schema.indexes[table] = [`primary key (${key.join(', ')})`, ...others.sort()];
    const keys = db.prepare(`PRAGMA foreign_key_list(${table})`).all() as { table: string; from: string; to: string; on_delete: string }[];
    schema.foreignKeys[table] = keys.map((k) => `${k.from} -> ${k.table}(${k.to}) on delete ${k.on_delete.toLowerCase()}`).sort();
  }
  return schema;
}

async function postgresSchema(client: pg.Client): Promise<Schema> {
  const schema: Schema = { columns: {}, indexes: {}, foreignKeys: {} };
  const columns = await client.query<{ table: string; name: string; type: string; nullable: string; dflt: string | null }>(
    `SELECT table_name AS table, column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS dflt
     FROM information_schema.columns WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  for (const c of columns.rows) (schema.columns[c.table] ??= []).push(column(c.name, c.type, c.nullable === 'NO', c.dflt));
  const indexes = await client.query<{ table: string; name: string; unique: boolean; primary: boolean; partial: boolean; constraint: string | null; columns: string[] }>(
    `SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
            x.indpred IS NOT NULL AS partial, c.contype AS constraint,
            array(SELECT a.attname FROM unnest(x.indkey) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum ORDER BY k.n)::text[] AS columns
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
     LEFT JOIN pg_constraint c ON c.conindid = x.indexrelid AND c.contype IN ('p', 'u')
     WHERE t.relnamespace = current_schema()::regnamespace`,
  );
  for (const table of Object.keys(schema.columns)) {
    const own = indexes.rows.filter((index) => index.table === table);
    const key = own.find((index) => index.primary)?.columns ?? [];
    const others = own
      .filter((index) => !index.primary)
      .map((index) => {
        const name = index.constraint === 'u' ? `unique constraint (${index.columns.join(', ')})` : `${index.name} (${index.columns.join(', ')})`;
        return `${name}${index.unique ? ' unique' : ''}${index.partial ? ' partial' : ''}`;
      });
    schema.indexes[table] = [`primary key (${key.join(', ')})`, ...others.sort()];
    schema.foreignKeys[table] = [];
  }
  const keys = await client.query<{ table: string; from: string; parent: string; to: string; action: string }>(
    `SELECT t.relname AS table, a.attname AS from, p.relname AS parent, pa.attname AS to, c.confdeltype AS action
     FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_class p ON p.oid = c.confrelid
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     JOIN pg_attribute pa ON pa.attrelid = c.confrelid AND pa.attnum = c.confkey[1]
     WHERE c.contype = 'f' AND t.relnamespace = current_schema()::regnamespace`,
  );
  const actions: Record<string, string> = { a: 'no action', c: 'cascade', r: 'restrict', n: 'set null', d: 'set default' };
  for (const k of keys.rows) schema.foreignKeys[k.table]!.push(`${k.from} -> ${k.parent}(${k.to}) on delete ${actions[k.action]}`);
  for (const table of Object.keys(schema.foreignKeys)) schema.foreignKeys[table]!.sort();
  return schema;
}

const LEDGER = 'CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)';

/** The schema of a SQLite file after `migrate()`, read through a connection of its own. */
async function sqliteMigratedByStore(path: string): Promise<Schema> {
  const store = new SqliteStore(path);
  await store.migrate();
  await store.close();
  const db = new Database(path, { readonly: true });
  try {
    return sqliteSchema(db);
  } finally {
    db.close();
  }
}

const pgReady = await requirePostgres('schema drift test');

describe('one schema for both dialects (the migrations are written once)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-schema-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('a fresh PostgreSQL database has the tables, columns, keys and indexes of a fresh SQLite one', { skip: !pgReady }, async () => {
    const database = await createTestDatabase();
    try {
      const store = new PostgresStore(database.url);
      await store.migrate();
      await store.close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        assert.deepEqual(await postgresSchema(client), await sqliteMigratedByStore(join(dir, 'fresh.db')));
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it('a migration for PostgreSQL only (0015, the cache triggers) is run there and only recorded on SQLite', async () => {
    const only = readMigrations().filter((migration) => migration.only === 'postgres');
    assert.deepEqual(only.map((migration) => migration.name), ['0015-change-notifications.sql']);
    assert.deepEqual(readMigrations().filter((migration) => migration.only === 'sqlite').map((migration) => migration.name), ['0016-change-log.sql', '0023-tokens-in-issue-order.sql']);
    const path = join(dir, 'postgres-only.db');
    const store = new SqliteStore(path);
    await store.migrate();
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      assert.ok(db.prepare('SELECT 1 FROM schema_migrations WHERE version = 15').get(), 'recorded');
      // SQLite's triggers are 0016's, which log to a table instead of notifying.
      assert.deepEqual(
        db.prepare("SELECT DISTINCT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'portcullis_cache_%' ORDER BY 1").pluck().all(),
        ['client_scopes', 'clients', 'throttle_counters', 'token_families', 'tokens', 'users'],
      );
      assert.equal(db.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%pg_notify%'").pluck().get(), 0, 'nothing of 0015 run');
    } finally {
      db.close();
    }
    if (!pgReady) return;
    const database = await createTestDatabase();
    try {
      const migrated = new PostgresStore(database.url);
      await migrated.migrate();
      await migrated.close();
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT DISTINCT c.relname AS table FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE 'portcullis_cache_%' ORDER BY 1");
        assert.deepEqual(
          rows.map((row) => row.table as string),
          ['client_scopes', 'clients', 'throttle_counters', 'token_families', 'tokens', 'users'],
        );
      } finally {
        await client.end();
      }
    } finally {
      await database.drop();
    }
  });

  it('a SQLite database of an earlier release (0001-0006) gets exactly 0007 on: the indexes it lacked, and what came later', async () => {
    const path = join(dir, 'old.db');
    const old = new Database(path);
    old.exec(compileDdl(LEDGER, 'sqlite'));
    for (const migration of readMigrations().filter((m) => m.version <= 6)) {
      old.exec(compileDdl(migration.script, 'sqlite'));
      old.prepare('INSERT INTO schema_migrations VALUES (?, 0)').run(migration.version);
    }
    const before = sqliteSchema(old);
    old.close();
    assert.deepEqual(before.indexes.user_groups, ['primary key (username, group_name)']);
    const store = new SqliteStore(path);
    assert.deepEqual(await store.migrate(), readMigrations().filter((m) => m.version >= 7).map((m) => m.version));
    await store.close();
    assert.deepEqual(await sqliteMigratedByStore(path), await sqliteMigratedByStore(join(dir, 'new.db')));
  });
});
