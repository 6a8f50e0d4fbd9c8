import { ConfigError } from '../core/errors.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

/** Opens the configured store: PostgreSQL when a database URL is set, else the SQLite file. */
export async function openStore(options: { db: string; databaseUrl?: string | undefined }): Promise<Store> {
  if (options.databaseUrl !== undefined) {
    throw new ConfigError('database_url: the PostgreSQL store is not available in this version; use --db');
  }
  return new SqliteStore(options.db);
}
