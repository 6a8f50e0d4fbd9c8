import { PostgresStore, type PostgresOptions } from './postgres/postgres-store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/** Opens the configured store: PostgreSQL when a database URL is set, else the SQLite file. */
export async function openStore(options: { db: string; databaseUrl?: string | undefined; postgres?: PostgresOptions }): Promise<Store> {
  if (options.databaseUrl !== undefined) return new PostgresStore(options.databaseUrl, options.postgres);
  return new SqliteStore(options.db);
}
