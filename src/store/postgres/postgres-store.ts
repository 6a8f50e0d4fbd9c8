import type pg from 'pg';
import { SqlStore } from '../sql/sql-store.ts';
import type { Store } from '../store.ts';
import { PostgresDriver, type PostgresOptions } from './driver.ts';

export type { PostgresOptions } from './driver.ts';

/**
 * The cluster store: any number of instances share one PostgreSQL database through `pg`'s pool.
 * Single-use operations lock the row they change, so two instances racing on one refresh token
 * produce exactly one winner.
 */
export class PostgresStore extends SqlStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;

  constructor(connectionString: string, options: PostgresOptions = {}) {
    const driver = new PostgresDriver(connectionString, options);
    super(driver);
    this.pool = driver.pool;
  }

  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    if (!this.pool.ended) await this.pool.end();
  }
}
