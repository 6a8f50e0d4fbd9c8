import type pg from 'pg';
import { toClient, toTokenView } from '../rows.ts';
import { ReadCaches } from '../read-caches.ts';
import { CLIENT_BY_ID } from '../sql/clients.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { sqlCounters } from '../sql/throttle-counters.ts';
import { lookupKey, TOKEN_BY_HASH } from '../sql/tokens.ts';
import type { Store } from '../store.ts';
import { applyChange, CHANGE_CHANNEL, ChangeFeed } from './change-feed.ts';
import { PostgresDriver, type PostgresOptions } from './driver.ts';
import { requireSessions } from './session-check.ts';

export type { PostgresOptions } from './driver.ts';

/**
 * The cluster store: any number of instances share one PostgreSQL database through `pg`'s pool.
 * Single-use operations lock the row they change, so two instances racing on one refresh token
 * produce exactly one winner.
 * Once migrated, clients, access-token views and absent throttle counter keys are read from
 * in-process caches (../read-caches.ts) that every change reaches as a notification (migration
 * 0015's triggers): a change made through this instance before its commit returns (each pool
 * connection listens too, and PostgreSQL delivers a session's own notifications before it answers
 * the COMMIT), one made anywhere else within a second (ChangeFeed, which stops the caches' use
 * while it cannot listen).
 */
export class PostgresStore extends SqlStore implements Store {
  readonly kind = 'postgres';
  private readonly pool: pg.Pool;
  /** On once the schema is migrated (the notifying triggers come with it). */
  private caches: ReadCaches | undefined;
  private feed: ChangeFeed | undefined;

  constructor(
    private readonly connectionString: string,
    options: PostgresOptions = {},
  ) {
    // Each pool connection listens too: PostgreSQL hands a session its own notifications before
    // it answers the COMMIT, so this instance's own writes reach its caches before they return.
    const driver = new PostgresDriver(connectionString, options, async (connection) => {
      connection.on('notification', (message) => {
        if (this.caches && message.channel === CHANGE_CHANNEL) applyChange(this.caches, message.payload);
      });
      await connection.query(`LISTEN ${CHANGE_CHANNEL}`);
    });
    super(driver);
    this.pool = driver.pool;
    this.findClient = async (id) => {
      const load = () => driver.one(CLIENT_BY_ID, { id }, toClient);
      return this.caches ? this.caches.client(id, load) : load();
    };
    this.findToken = async (hash) => {
      const key = lookupKey(hash);
      if (!key) return undefined;
      const load = () => driver.one(TOKEN_BY_HASH, { hash: key }, toTokenView);
      return this.caches ? this.caches.token(hash, load) : load();
    };
    this.throttleCounters = (options) => sqlCounters(driver, this.caches?.absentCounterKeys(), options?.sweep ?? true);
  }

  override async migrate(): Promise<number[]> {
    // First, before a prepared statement meets a pooler in transaction mode and fails less clearly.
    if (!this.caches) await requireSessions(this.connectionString);
    const applied = await super.migrate();
    if (!this.caches) {
      // Not trusted until the feed listens.
      this.caches = new ReadCaches(false);
      this.feed = new ChangeFeed(this.connectionString, this.caches);
      this.feed.start();
    }
    return applied;
  }

  /** Resolves once every change committed before the call has reached this instance's caches. */
  async caughtUp(): Promise<void> {
    await this.feed?.caughtUp();
  }

  poolStats(): { total: number; idle: number; waiting: number } {
    return { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
  }

  async close(): Promise<void> {
    await this.feed?.close();
    if (!this.pool.ended) await this.pool.end();
  }
}
