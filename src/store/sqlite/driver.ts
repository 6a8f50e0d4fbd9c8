import type Database from 'better-sqlite3';
import type { Driver } from '../sql/driver.ts';
import { ConstraintViolation, type Operation, type Params, Rollback, type Row } from '../sql/operation.ts';
import type { Statement } from '../sql/statement.ts';
import type { GroupCommit } from './group-commit.ts';

interface Prepared {
  handle: Database.Statement;
  booleans: readonly string[];
}

const VIOLATIONS: Record<string, ConstraintViolation['constraint']> = {
  SQLITE_CONSTRAINT_PRIMARYKEY: 'primary_key',
  SQLITE_CONSTRAINT_UNIQUE: 'unique',
  SQLITE_CONSTRAINT_FOREIGNKEY: 'foreign_key',
};

function normalised(error: unknown): unknown {
  const constraint = error instanceof Error && 'code' in error ? VIOLATIONS[error.code as string] : undefined;
  return constraint ? new ConstraintViolation(constraint, error) : error;
}

/**
 * better-sqlite3 under the SQL layer: statements prepared once per connection, operations run
 * synchronously (no other work can interleave with a transaction), hot writes in the group commit.
 */
export class SqliteDriver implements Driver {
  readonly dialect = 'sqlite';
  readonly hot: SqliteDriver;
  private readonly inTransaction: Database.Transaction<(work: () => unknown) => unknown>;

  constructor(
    private readonly db: Database.Database,
    private readonly writes: GroupCommit,
    private readonly prepared = new Map<Statement, Prepared>(),
    grouped = false,
  ) {
    this.hot = grouped ? this : new SqliteDriver(db, writes, prepared, true);
    this.inTransaction = db.transaction((work: () => unknown) => work());
  }

  private get grouped(): boolean {
    return this.hot === this;
  }

  one<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T | undefined> {
    return this.perform(() => this.oneSync(statement, params, map));
  }

  all<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T[]> {
    return this.perform(() => (this.execute('all', statement, params) as Row[]).map(map));
  }

  run(statement: Statement, params: Params): Promise<number> {
    return this.perform(() => this.execute('run', statement, params) as number);
  }

  atomic<T>(operation: () => Operation<T>): Promise<T> {
    const work = () => this.runSync(operation());
    if (this.grouped) return this.writes.run(work);
    try {
      // IMMEDIATE: a second process waits for the write lock at BEGIN (busy_timeout) instead of
      // failing when its read lock cannot be upgraded.
      return Promise.resolve(this.inTransaction.immediate(work) as T);
    } catch (error) {
      return error instanceof Rollback ? Promise.resolve(error.outcome as T) : Promise.reject(error);
    }
  }

  /** The first row now, for the read caches that cannot wait. */
  oneSync<T>(statement: Statement, params: Params, map: (row: Row) => T): T | undefined {
    const row = this.execute('one', statement, params) as Row | undefined;
    return row === undefined ? undefined : map(row);
  }

  /** Runs an operation now, on this connection, in whatever transaction is open. */
  runSync<T>(operation: Operation<T>): T {
    let next = operation.next();
    while (!next.done) {
      const step = next.value;
      let result: unknown;
      try {
        result = step.kind === 'exec' ? this.db.exec(step.script) : this.execute(step.kind, step.statement, step.params);
      } catch (error) {
        next = operation.throw(error);
        continue;
      }
      next = operation.next(result);
    }
    return next.value;
  }

  /** Reads and single writes run now; a throw rejects (an async function turns it into one). */
  private async perform<T>(work: () => T): Promise<T> {
    return this.grouped ? this.writes.run(work) : work();
  }

  private execute(kind: 'one' | 'all' | 'run', statement: Statement, params: Params): unknown {
    const { handle, booleans } = this.prepare(statement);
    const bound = booleans.length === 0 ? params : withFlags(params, booleans);
    try {
      if (kind === 'one') return handle.get(bound);
      if (kind === 'all') return handle.all(bound);
      return handle.run(bound).changes;
    } catch (error) {
      throw normalised(error);
    }
  }

  private prepare(statement: Statement): Prepared {
    let prepared = this.prepared.get(statement);
    if (!prepared) {
      const compiled = statement.for('sqlite');
      prepared = { handle: this.db.prepare(compiled.text), booleans: compiled.booleans };
      this.prepared.set(statement, prepared);
    }
    return prepared;
  }
}

/** SQLite stores booleans as 1 and 0. */
function withFlags(params: Params, booleans: readonly string[]): Params {
  const bound: Row = { ...params };
  for (const name of booleans) {
    const value = bound[name];
    if (typeof value === 'boolean') bound[name] = value ? 1 : 0;
  }
  return bound;
}
