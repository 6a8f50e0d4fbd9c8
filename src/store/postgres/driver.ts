import pg from 'pg';
import type { Driver } from '../sql/driver.ts';
import { ConstraintViolation, type Operation, type Params, Rollback, type Row } from '../sql/operation.ts';
import type { Statement } from '../sql/statement.ts';

/** Pool limits and timeouts; every one has a default fit for a small instance. */
export interface PostgresOptions {
  /** Connections this instance may hold open. */
  maxConnections?: number;
  /** Milliseconds to wait for a free connection (or a new one) before failing the request. */
  connectionTimeoutMillis?: number;
  /** Milliseconds an unused connection stays open. */
  idleTimeoutMillis?: number;
  /** Milliseconds any one statement may run before the server cancels it. */
  statementTimeoutMillis?: number;
}

export const DEFAULT_POSTGRES_OPTIONS: Required<PostgresOptions> = {
  maxConnections: 10,
  connectionTimeoutMillis: 5_000,
  idleTimeoutMillis: 30_000,
  statementTimeoutMillis: 10_000,
};

// BIGINT columns hold seconds since the epoch and counts: well inside a double's exact range.
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === Number(pg.types.builtins.INT8)) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format) as (value: string) => unknown;
  },
};

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

function normalised(error: unknown): unknown {
  if (!(error instanceof pg.DatabaseError)) return error;
  // A primary key's constraint is named <table>_pkey unless the schema names it otherwise (ours never does).
  if (error.code === UNIQUE_VIOLATION) return new ConstraintViolation(error.constraint?.endsWith('_pkey') ? 'primary_key' : 'unique', error);
  if (error.code === FOREIGN_KEY_VIOLATION) return new ConstraintViolation('foreign_key', error);
  return error;
}

type Queryable = pg.Pool | pg.PoolClient;

async function query(on: Queryable, statement: Statement, params: Params): Promise<pg.QueryResult<Row>> {
  const { text, names } = statement.for('postgres');
  try {
    return await on.query<Row>(text, names.map((name) => (params as Row)[name] ?? null));
  } catch (error) {
    throw normalised(error);
  }
}

/**
 * `pg`'s pool under the SQL layer: a statement runs on any free connection; an operation runs on
 * one connection between BEGIN and COMMIT, awaiting each of its statements.
 */
export class PostgresDriver implements Driver {
  readonly dialect = 'postgres';
  readonly hot = this;
  readonly pool: pg.Pool;

  /** `onConnect` runs on each new connection before its first use. */
  constructor(connectionString: string, options: PostgresOptions = {}, onConnect?: (connection: pg.ClientBase) => Promise<void>) {
    const settings = { ...DEFAULT_POSTGRES_OPTIONS, ...options };
    this.pool = new pg.Pool({
      // pg-pool awaits it (a rejection fails the connection); @types/pg declares it void.
      // eslint-disable-next-line @typescript-eslint/no-misused-promises -- see above
      ...(onConnect && { onConnect }),
      connectionString,
      max: settings.maxConnections,
      connectionTimeoutMillis: settings.connectionTimeoutMillis,
      idleTimeoutMillis: settings.idleTimeoutMillis,
      statement_timeout: settings.statementTimeoutMillis,
      application_name: 'portcullis',
      types,
    });
    // An idle connection that the server drops must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
  }

  async one<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T | undefined> {
    const row = (await query(this.pool, statement, params)).rows[0];
    return row === undefined ? undefined : map(row);
  }

  async all<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T[]> {
    return (await query(this.pool, statement, params)).rows.map(map);
  }

  async run(statement: Statement, params: Params): Promise<number> {
    return (await query(this.pool, statement, params)).rowCount ?? 0;
  }

  async atomic<T>(operation: () => Operation<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const outcome = await this.runOn(client, operation());
      await client.query('COMMIT');
      return outcome;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      if (error instanceof Rollback) return error.outcome as T;
      throw error;
    } finally {
      client.release();
    }
  }

  private async runOn<T>(client: pg.PoolClient, operation: Operation<T>): Promise<T> {
    let next = operation.next();
    while (!next.done) {
      const step = next.value;
      let result: unknown;
      try {
        if (step.kind === 'exec') {
          await client.query(step.script);
        } else {
          const { rows, rowCount } = await query(client, step.statement, step.params);
          result = step.kind === 'one' ? rows[0] : step.kind === 'all' ? rows : (rowCount ?? 0);
        }
      } catch (error) {
        next = operation.throw(error);
        continue;
      }
      next = operation.next(result);
    }
    return next.value;
  }
}
