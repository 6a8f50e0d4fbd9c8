import pg from 'pg';
import type { Driver } from '../sql/driver.ts';
import { all, ConstraintViolation, one, type Operation, type Params, Rollback, type Row, run, type Step } from '../sql/operation.ts';
import type { Statement } from '../sql/statement.ts';
import { PostgresGroupCommit } from './group-commit.ts';

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

/** Group commits in flight at once: half the pool, so that reads always find connections. */
function groupsInFlight(maxConnections: number): number {
  return Math.max(1, Math.floor(maxConnections / 2));
}

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

// Each statement is a named (prepared) statement: parsed and planned once per connection, then
// only bound and executed.
const preparedNames = new WeakMap<Statement, string>();
let statementsNamed = 0;

function nameOf(statement: Statement): string {
  let name = preparedNames.get(statement);
  if (name === undefined) preparedNames.set(statement, (name = `portcullis_${++statementsNamed}`));
  return name;
}

async function query(on: Queryable, statement: Statement, params: Params): Promise<pg.QueryResult<Row>> {
  const { text, names } = statement.for('postgres');
  try {
    return await on.query<Row>({ name: nameOf(statement), text, values: names.map((name) => (params as Row)[name] ?? null) });
  } catch (error) {
    throw normalised(error);
  }
}

/** Runs one step of an operation on `client`; resolves with what the operation receives back. */
async function execute(client: pg.PoolClient, step: Step): Promise<unknown> {
  if (step.kind === 'exec') {
    await client.query(step.script);
    return undefined;
  }
  const { rows, rowCount } = await query(client, step.statement, step.params);
  return step.kind === 'one' ? rows[0] : step.kind === 'all' ? rows : (rowCount ?? 0);
}

/** The hot writes: each statement or operation runs in the next group commit (see group-commit.ts). */
class GroupedWrites implements Driver {
  readonly dialect = 'postgres';
  readonly hot = this;

  constructor(private readonly group: PostgresGroupCommit) {}

  async one<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T | undefined> {
    const row = await this.group.run(() => one(statement, params));
    return row === undefined ? undefined : map(row);
  }

  async all<T>(statement: Statement, params: Params, map: (row: Row) => T): Promise<T[]> {
    return (await this.group.run(() => all(statement, params))).map(map);
  }

  run(statement: Statement, params: Params): Promise<number> {
    return this.group.run(() => run(statement, params));
  }

  atomic<T>(operation: () => Operation<T>): Promise<T> {
    return this.group.run(operation);
  }
}

/**
 * `pg`'s pool under the SQL layer: a statement runs on any free connection; an operation runs on
 * one connection between BEGIN and COMMIT, awaiting each of its statements; the hot writes run in
 * group commits (group-commit.ts), on connections in `pg`'s pipeline mode.
 */
export class PostgresDriver implements Driver {
  readonly dialect = 'postgres';
  readonly hot: Driver;
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
      // Statements sent without waiting for the previous answer (each with its own Sync, so a
      // failed one does not swallow the next): what lets a group's writes share round trips.
      pipeline: true,
    });
    // A connection that the server drops must not crash the process: an idle one is replaced by
    // the pool, a busy one fails its queries (and is closed when released with their error).
    this.pool.on('error', () => {});
    this.pool.on('connect', (client) => client.on('error', () => {}));
    this.hot = new GroupedWrites(new PostgresGroupCommit(this.pool, execute, groupsInFlight(settings.maxConnections)));
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
      let result: unknown;
      try {
        result = await execute(client, next.value);
      } catch (error) {
        next = operation.throw(error);
        continue;
      }
      next = operation.next(result);
    }
    return next.value;
  }
}
