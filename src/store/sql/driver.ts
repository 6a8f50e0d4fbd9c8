import type { Operation, Params, Row } from './operation.ts';
import type { Dialect, Statement } from './statement.ts';

/**
 * What the SQL of each concept (tokens.ts, clients.ts, …) needs from a database: one statement
 * at a time, or an operation of several in one transaction. A driver binds booleans, reports
 * broken constraints as ConstraintViolation and returns BIGINT columns as numbers, so that the
 * statements and the row mapping (rows.ts) are the same for both dialects.
 */
export interface Driver {
  readonly dialect: Dialect;
  /** The first row, mapped; `undefined` when there is none. */
  one<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T | undefined>;
  all<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T[]>;
  /** Runs a write; resolves with how many rows it changed. */
  run(statement: Statement, params: Params): Promise<number>;
  /** Runs every statement of `operation`, or none: a throw rolls back (a Rollback settles with its outcome). */
  atomic<T>(operation: () => Operation<T>): Promise<T>;
  /**
   * The same driver for the writes of the hot path (tokens issued and rotated, throttle counters):
   * SQLite commits those of one turn of the event loop together (see sqlite/group-commit.ts);
   * PostgreSQL those that arrive while earlier groups are in flight (see postgres/group-commit.ts).
   * `operation` must be safe to run twice (a group may be replayed).
   */
  readonly hot: Driver;
}
