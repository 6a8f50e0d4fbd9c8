import type Database from 'better-sqlite3';

/** What the SQL of each concept needs from the store: the open handle and its statement cache. */
export interface SqliteContext {
  readonly db: Database.Database;
  /** Prepared statements, compiled once per SQL text. */
  sql(text: string): Database.Statement;
}

export function isConstraint(error: unknown, code: string): boolean {
  return error instanceof Error && 'code' in error && (error as { code: string }).code === code;
}
