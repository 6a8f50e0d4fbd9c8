import type pg from 'pg';
import type { Row } from '../rows.ts';

export type Queryable = pg.Pool | pg.PoolClient;

/** What the SQL of each concept needs from the store: its pool's queries and transactions. */
export interface PostgresContext {
  query(text: string, values?: unknown[], on?: Queryable): Promise<pg.QueryResult<Row>>;
  /** Runs `work` in one transaction on one connection; any throw rolls it back. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}
