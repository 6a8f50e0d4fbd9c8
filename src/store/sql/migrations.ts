import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageFile } from '../../package-files.ts';
import { all, exec, type Operation, run } from './operation.ts';
import { type Dialect, sql } from './statement.ts';

const MIGRATIONS_DIR = packageFile('src', 'store', 'migrations');

/**
 * The migrations' DDL is written as PostgreSQL takes it, plus SQLite's `WITHOUT ROWID`; these
 * rewrite it for each dialect. SQLite gets the type names it always had (same affinity), and for
 * PostgreSQL's base64url decoding the function the SQLite store adds to its connection (SQLite has none).
 */
const DDL_REWRITES: Record<Dialect, [RegExp, string][]> = {
  sqlite: [
    // Only this exact declaration makes the rowid the key; AUTOINCREMENT never reuses an id.
    [/\bBIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY\b/g, 'INTEGER PRIMARY KEY AUTOINCREMENT'],
    [/\b(?:BIGINT|BOOLEAN)\b/g, 'INTEGER'],
    [/\bVARCHAR\(\d+\)/g, 'TEXT'],
    [/\bBYTEA\b/g, 'BLOB'],
    [/\bdecode\(translate\((\w+), '-_', '\+\/'\) \|\| '=', 'base64'\)/g, 'base64url_bytes($1)'],
    [/\bDEFAULT TRUE\b/g, 'DEFAULT 1'],
    [/\bDEFAULT FALSE\b/g, 'DEFAULT 0'],
  ],
  postgres: [[/\)\s*WITHOUT ROWID\b/g, ')']],
};

export function compileDdl(script: string, dialect: Dialect): string {
  return DDL_REWRITES[dialect].reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), script);
}

export interface Migration {
  version: number;
  /** The file name, `0001-initial.sql`. */
  name: string;
  /** The DDL as written, for `compileDdl`. */
  script: string;
  /**
   * The one dialect it is for, when its first line says so (`-- dialect: postgres`): PostgreSQL's
   * triggers and functions have no SQLite twin to compile to. Elsewhere it is recorded, not run.
   */
  only?: Dialect;
}

const ONLY = /^-- dialect: (sqlite|postgres)\n/;

/** The numbered migrations in src/store/migrations, in order. */
export function readMigrations(): Migration[] {
  return readdirSync(MIGRATIONS_DIR)
    .filter((name) => /^\d{4}-.*\.sql$/.test(name))
    .sort()
    .map((name) => {
      const script = readFileSync(join(MIGRATIONS_DIR, name), 'utf8');
      const only = ONLY.exec(script)?.[1] as Dialect | undefined;
      return { version: Number(name.slice(0, 4)), name, script, ...(only && { only }) };
    });
}

const LEDGER = 'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)';
const APPLIED = sql('SELECT version FROM schema_migrations');
const RECORD = sql('INSERT INTO schema_migrations (version, applied_at) VALUES (:version, :appliedAt)');

/** Key of the advisory lock that serialises migrations across instances ("portcu" in ASCII; exact as a double). */
const MIGRATION_LOCK = 0x706f72746375;

/**
 * Applies the migrations not yet recorded, in one transaction; returns the versions applied now.
 * On SQLite the transaction is IMMEDIATE, so processes migrating at once take turns.
 */
export function* migrate(dialect: Dialect, migrations: Migration[]): Operation<number[]> {
  if (dialect === 'postgres') {
    // A migration on a large table (an index on every token) may run longer than the request
    // statement timeout, and so may the wait of the instances queued behind it.
    yield* exec('SET LOCAL statement_timeout = 0');
    // Instances starting together queue here; each then sees what the one before applied.
    yield* exec(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
  }
  yield* exec(compileDdl(LEDGER, dialect));
  const done = new Set((yield* all(APPLIED)).map((row) => row.version as number));
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    if (migration.only === undefined || migration.only === dialect) yield* exec(compileDdl(migration.script, dialect));
    yield* run(RECORD, { version: migration.version, appliedAt: Math.floor(Date.now() / 1000) });
    applied.push(migration.version);
  }
  return applied;
}
