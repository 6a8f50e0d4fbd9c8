import type Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRedis, RateLimiterSQLite } from 'rate-limiter-flexible';
import { ConfigError } from '../core/errors.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { type CounterName, memoryThrottleBackend, type ThrottleBackend } from './throttle.ts';

/**
 * Where the brute-force counters live (docs/security.md, "Where the counters live"):
 * - SQLite deployment: the `throttle_counters` table of the same database file (RateLimiterSQLite),
 *   so counters survive a restart and `portcullis user unlock` reaches the running server's counters;
 * - PostgreSQL: the `throttle_counters` table of the same database, through the store's own pool
 *   (RateLimiterPostgres), shared by every instance of the cluster (SPEC §5);
 * - Redis, when `redis_url` is set: RateLimiterRedis, shared by every instance using that Redis.
 * Both tables are created by our numbered migrations (0006), never by the limiter at run time.
 */

/** Table of both SQL backends; its layout is rate-limiter-flexible's (key, points, expire in ms). */
const TABLE = 'throttle_counters';
/** Expired counters are deleted this often (milliseconds). */
const CLEAR_EVERY_MS = 5 * 60_000;

interface ClearableLimiter {
  clearExpired(beforeMs: number): Promise<unknown>;
}

/** A SQL backend: one table holds every counter (prefix per counter); one timer clears expired rows. */
function sqlBackend(kind: string, make: (keyPrefix: string, points: number, duration: number) => ClearableLimiter & ReturnType<ThrottleBackend['counter']>): ThrottleBackend {
  let clearer: ClearableLimiter | undefined;
  const timer = setInterval(() => {
    // The table is shared, so one limiter clears it for all; a failure waits for the next round.
    clearer?.clearExpired(Date.now()).catch(() => undefined);
  }, CLEAR_EVERY_MS);
  timer.unref();
  return {
    kind,
    counter(name: CounterName, options) {
      const limiter = make(`portcullis:${name}`, options.points, options.durationSeconds);
      clearer ??= limiter;
      return limiter;
    },
    async close() {
      clearInterval(timer);
    },
  };
}

/** Counters in the SQLite file the store uses (better-sqlite3 handle; same WAL, busy timeout). */
export function sqliteThrottleBackend(db: Database.Database): ThrottleBackend {
  return sqlBackend('sqlite', (keyPrefix, points, duration) =>
    new RateLimiterSQLite({
      storeClient: db,
      storeType: 'better-sqlite3',
      tableName: TABLE,
      tableCreated: true,
      clearExpiredByTimeout: false,
      keyPrefix,
      points,
      duration,
    }) as unknown as ClearableLimiter & ReturnType<ThrottleBackend['counter']>,
  );
}

/** Counters in the PostgreSQL database, through the store's pool (its limits and statement timeout). */
export function postgresThrottleBackend(pool: pg.Pool): ThrottleBackend {
  return sqlBackend('postgres', (keyPrefix, points, duration) =>
    new RateLimiterPostgres({
      storeClient: pool,
      storeType: 'pool',
      tableName: TABLE,
      tableCreated: true,
      clearExpiredByTimeout: false,
      keyPrefix,
      points,
      duration,
    }) as unknown as ClearableLimiter & ReturnType<ThrottleBackend['counter']>,
  );
}

/**
 * Counters in Redis. Connects (and checks the connection) before the server starts: a wrong
 * `redis_url` stops start-up with one line naming the setting. The URL is never printed (it may
 * hold a password). When Redis becomes unreachable later, password attempts fail with a server
 * error rather than go uncounted.
 */
export async function connectRedisThrottleBackend(url: string, keyPrefix: string): Promise<ThrottleBackend> {
  let client: Redis;
  try {
    client = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  } catch (error) {
    throw new ConfigError(`redis_url is not a usable Redis URL: ${(error as Error).message.split('\n')[0]}`);
  }
  // ioredis reconnects on its own; each refused command is reported where it fails.
  let lastError: NodeJS.ErrnoException | undefined;
  client.on('error', (error: NodeJS.ErrnoException) => (lastError = error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const cause = lastError ?? (error as NodeJS.ErrnoException);
    const reason = cause.code ?? cause.message.split('\n')[0];
    const { hostname, port } = new URL(url);
    throw new ConfigError(`redis_url: cannot reach Redis at ${hostname}:${port || 6379} (${reason})`);
  }
  return {
    kind: 'redis',
    counter: (name, options) =>
      new RateLimiterRedis({
        storeClient: client,
        rejectIfRedisNotReady: true,
        keyPrefix: `${keyPrefix}:${name}`,
        points: options.points,
        duration: options.durationSeconds,
      }),
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * The backend this configuration calls for: Redis when `redis_url` is set, else the store's own
 * database. Call after the store's migrations (the counter table comes with migration 0006).
 */
export async function openThrottleBackend(config: { redis?: { url: string; keyPrefix: string } | undefined }, store: Store): Promise<ThrottleBackend> {
  if (config.redis !== undefined) return connectRedisThrottleBackend(config.redis.url, config.redis.keyPrefix);
  if (store instanceof PostgresStore) return postgresThrottleBackend(store.connectionPool);
  if (store instanceof SqliteStore) return sqliteThrottleBackend(store.database);
  return memoryThrottleBackend;
}
