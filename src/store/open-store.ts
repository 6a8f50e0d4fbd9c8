import { ConfigError } from '../core/errors.ts';
import { PostgresStore, type PostgresOptions } from './postgres/postgres-store.ts';
import { SqliteStore } from './sqlite/sqlite-store.ts';
import type { Store } from './store.ts';

export interface StoreLocation {
  db: string;
  databaseUrl?: string | undefined;
  /** The setting the location came from (`--db`, `PORTCULLIS_DATABASE_URL`, …), for messages. */
  databaseFrom?: string | undefined;
}

/** Opens the configured store: PostgreSQL when a database URL is set, else the SQLite file. */
export async function openStore(options: StoreLocation & { postgres?: PostgresOptions; backgroundCheckpoint?: boolean }): Promise<Store> {
  if (options.databaseUrl !== undefined) return new PostgresStore(options.databaseUrl, options.postgres);
  return new SqliteStore(options.db, { backgroundCheckpoint: options.backgroundCheckpoint });
}

/** The database in words, never with the URL's password: `SQLite file ./data/portcullis.db`. */
export function describeDatabase(location: StoreLocation): string {
  if (location.databaseUrl === undefined) return `SQLite file ${location.db}`;
  try {
    const url = new URL(location.databaseUrl);
    return `PostgreSQL database ${url.pathname.replace(/^\//, '') || '(default)'} on ${url.host}`;
  } catch {
    return 'PostgreSQL database (unparsable URL)';
  }
}

/** Node's and PostgreSQL's codes for "the database named by the setting cannot be reached or used". */
const CONNECTION_FAILURES: Record<string, string> = {
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
  ECONNREFUSED: 'nothing listens at that address',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'the host is unreachable',
  '28P01': 'the password was refused',
  '28000': 'the user may not connect',
  '3D000': 'the database does not exist',
};

/**
 * Turns a failure to reach the configured database into a ConfigError naming the setting and the
 * place (`PORTCULLIS_DATABASE_URL: cannot reach PostgreSQL database portcullis on db:5432: the host
 * name does not resolve`); any other error is returned as it was.
 */
export function explainStoreFailure(error: unknown, location: StoreLocation): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (location.databaseUrl === undefined || typeof code !== 'string' || !(code in CONNECTION_FAILURES)) return error;
  const setting = location.databaseFrom ?? 'database_url';
  return new ConfigError(`${setting}: cannot reach ${describeDatabase(location)}: ${CONNECTION_FAILURES[code]} (${code})`);
}
