import type Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import type pg from 'pg';
import { RateLimiterPostgres, RateLimiterRedis, type RateLimiterRes, RateLimiterSQLite } from 'rate-limiter-flexible';
import { ConfigError } from '../core/errors.ts';
import { PostgresStore } from '../store/postgres/postgres-store.ts';
import { BoundedCache, type ChangeWatch } from '../store/sqlite/change-watch.ts';
import { SqliteStore } from '../store/sqlite/sqlite-store.ts';
import type { Store } from '../store/store.ts';
import { type CounterName, memoryThrottleBackend, type ThrottleBackend } from './throttle.ts';

/**
 * Where the brute-force counters live (docs/security.md, "Where the counters live"):
 * - SQLite deployment: the `throttle_counters` table of the same database file (RateLimiterSQLite),
 *   so counters survive a restart and `portcullis user unlock` reaches the running server's counters;
 * - PostgreSQL: the `throttle_counters` table of the same database, through the store's own pool
 *   (RateLimiterPostgres), shared by every instance of the cluster (docs/deployment.md);
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

/** What every limiter of a SQL backend is built with: our table (created by migration 0006) and one counter's budget. */
interface TableCounterOptions {
  tableName: string;
  tableCreated: true;
  clearExpiredByTimeout: false;
  keyPrefix: string;
  points: number;
  duration: number;
}

/** A SQL backend: one table holds every counter (prefix per counter); one timer clears expired rows. */
function sqlBackend(kind: string, make: (options: TableCounterOptions) => ClearableLimiter & ReturnType<ThrottleBackend['counter']>): ThrottleBackend {
  let clearer: ClearableLimiter | undefined;
  const timer = setInterval(() => {
    // The table is shared, so one limiter clears it for all; a failure waits for the next round.
    clearer?.clearExpired(Date.now()).catch(() => undefined);
  }, CLEAR_EVERY_MS);
  timer.unref();
  return {
    kind,
    counter(name: CounterName, options) {
      const limiter = make({
        tableName: TABLE,
        tableCreated: true,
        clearExpiredByTimeout: false,
        keyPrefix: `portcullis:${name}`,
        points: options.points,
        duration: options.durationSeconds,
      });
      clearer ??= limiter;
      return limiter;
    },
    async close() {
      clearInterval(timer);
    },
  };
}

/** Counter keys known to have no live row; bounded, since every client id and address makes one. */
const ABSENT_KEYS = 10_000;

interface AbsentKeys {
  watch: ChangeWatch;
  keys: BoundedCache<string, true>;
  /** Counts the writes seen, so that a lookup started before one does not remember an old absence. */
  writes: number;
}

/** rate-limiter-flexible's SQLite statements (same table layout and semantics), compiled once. */
function counterStatements(db: Database.Database) {
  return {
    get: db.prepare(`SELECT points, expire FROM ${TABLE} WHERE key = ? AND (expire > ? OR expire IS NULL)`),
    add: db.prepare(
      `INSERT INTO ${TABLE} (key, points, expire) VALUES (?, ?, ?)
       ON CONFLICT(key) DO UPDATE SET
         points = CASE WHEN expire IS NULL OR expire > ? THEN points + excluded.points ELSE excluded.points END,
         expire = CASE WHEN expire IS NULL OR expire > ? THEN expire ELSE excluded.expire END
       RETURNING points, expire`,
    ),
    replace: db.prepare(`INSERT OR REPLACE INTO ${TABLE} (key, points, expire) VALUES (?, ?, ?) RETURNING points, expire`),
    delete: db.prepare(`DELETE FROM ${TABLE} WHERE key = ?`),
    clearExpired: db.prepare(`DELETE FROM ${TABLE} WHERE expire < ?`),
  };
}

/**
 * RateLimiterSQLite (its table, its upserts, its results) with the store's connection used the way
 * the hot path needs:
 * - writes join the store's group commit (SqliteStore.inWriteGroup), so the counter writes of every
 *   login in flight share one commit with the tokens they issue, instead of one commit each; each
 *   upsert still runs alone and in order inside the group, so every `penalty` sees the exact count;
 * - `get` remembers which keys have no counter, so the check every client authentication makes
 *   (is this client blocked from this address?) costs no query while nobody is failing. The
 *   store's ChangeWatch forgets a key on any write to its row through this connection, and
 *   everything when another connection commits; a read that raced a write is not remembered.
 */
class SqliteCounter extends RateLimiterSQLite {
  constructor(
    options: ConstructorParameters<typeof RateLimiterSQLite>[0],
    private readonly store: SqliteStore,
    private readonly statements: ReturnType<typeof counterStatements>,
    private readonly absent: AbsentKeys,
  ) {
    super(options);
  }

  override async get(key: string | number, options?: { [key: string]: unknown }): Promise<RateLimiterRes | null> {
    this.absent.watch.checkExternal();
    const stored = this.getKey(key);
    if (this.absent.keys.get(stored)) return null;
    const seen = this.absent.writes;
    const state = await super.get(key, options);
    if (state === null && this.absent.writes === seen) this.absent.keys.set(stored, true);
    return state;
  }

  async _get(rlKey: string): Promise<unknown> {
    return this.statements.get.get(rlKey, Date.now()) ?? null;
  }

  _upsert(rlKey: string, points: number, msDuration: number, forceExpire = false): Promise<unknown> {
    return this.store.inWriteGroup(() => {
      const now = Date.now();
      const expire = msDuration > 0 ? now + msDuration : null;
      return forceExpire ? this.statements.replace.get(rlKey, points, expire) : this.statements.add.get(rlKey, points, expire, now, now);
    });
  }

  _delete(rlKey: string): Promise<boolean> {
    return this.store.inWriteGroup(() => this.statements.delete.run(rlKey).changes > 0);
  }

  async clearExpired(nowMs: number): Promise<void> {
    await this.store.inWriteGroup(() => this.statements.clearExpired.run(nowMs));
  }
}

/**
 * Counters in the SQLite file the store uses (same connection: same WAL, busy timeout, group
 * commit). Call after the store's migrations, which create the table and the store's change watch.
 */
export function sqliteThrottleBackend(store: SqliteStore): ThrottleBackend {
  const watch = store.changeWatch;
  if (!watch) throw new Error('sqliteThrottleBackend: migrate the store first');
  const absent: AbsentKeys = { watch, keys: new BoundedCache(ABSENT_KEYS), writes: 0 };
  const unwatch = watch.watch(
    [
      { table: TABLE, event: 'INSERT', key: 'NEW.key' },
      { table: TABLE, event: 'UPDATE', key: 'NEW.key' },
      { table: TABLE, event: 'DELETE', key: 'OLD.key' },
    ],
    (key) => {
      absent.writes++;
      absent.keys.delete(key as string);
    },
    () => {
      absent.writes++;
      absent.keys.clear();
    },
  );
  const statements = counterStatements(store.database);
  const backend = sqlBackend(
    'sqlite',
    (options) =>
      new SqliteCounter({ ...options, storeClient: store.database, storeType: 'better-sqlite3' }, store, statements, absent) as unknown as ClearableLimiter &
        ReturnType<ThrottleBackend['counter']>,
  );
  return {
    ...backend,
    async close() {
      await backend.close?.();
      unwatch();
    },
  };
}

/** Counters in the PostgreSQL database, through the store's pool (its limits and statement timeout). */
export function postgresThrottleBackend(pool: pg.Pool): ThrottleBackend {
  return sqlBackend(
    'postgres',
    (options) =>
      new RateLimiterPostgres({ ...options, storeClient: pool, storeType: 'pool' }) as unknown as ClearableLimiter & ReturnType<ThrottleBackend['counter']>,
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
  if (store instanceof SqliteStore) return sqliteThrottleBackend(store);
  return memoryThrottleBackend;
}
