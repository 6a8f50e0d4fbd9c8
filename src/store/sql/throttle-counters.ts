import type { Counter, CounterChange, Counters, CounterState } from '../counters.ts';
import type { Driver } from './driver.ts';
import type { Row } from './operation.ts';
import { type Statement, sql } from './statement.ts';

/**
 * Counters in the `throttle_counters` table (migration 0006; rate-limiter-flexible's layout: key,
 * points, expire in epoch milliseconds), one table for every counter, a prefix per counter.
 * Writes go the hot way (on SQLite they share the group commit with the tokens being issued;
 * each upsert still runs alone and in order, so every penalty sees the exact count).
 */
const GET = sql('SELECT points, expire FROM throttle_counters WHERE key = :key AND (expire > :now OR expire IS NULL)');
// A key whose window has ended starts again from these points.
const ADD = sql(
  `INSERT INTO throttle_counters (key, points, expire) VALUES (:key, :points, :expire)
   ON CONFLICT (key) DO UPDATE SET
     points = CASE WHEN throttle_counters.expire <= :now THEN excluded.points ELSE throttle_counters.points + excluded.points END,
     expire = CASE WHEN throttle_counters.expire <= :now THEN excluded.expire ELSE throttle_counters.expire END
   RETURNING points, expire`,
);
const SET = sql(
  `INSERT INTO throttle_counters (key, points, expire) VALUES (:key, :points, :expire)
   ON CONFLICT (key) DO UPDATE SET points = excluded.points, expire = excluded.expire`,
);
const DELETE = sql('DELETE FROM throttle_counters WHERE key = :key');

/**
 * Changes to several keys in one statement: ADD's upsert for many rows, where a row marked `reset`
 * takes its values whatever the stored ones (a block, or a delete written as a window that has
 * ended: the row reads as absent and the next penalty starts afresh, as after a DELETE), and a
 * read is an addition of no points whose window has already ended (so that a key read while
 * absent stays absent). Made once per number of rows.
 */
const changeStatements: Statement[] = [];
function changeStatement(rows: number): Statement {
  let statement = changeStatements[rows];
  if (statement) return statement;
  const values = Array.from({ length: rows }, (_, i) => `(:key${i}::text, :points${i}::integer, :expire${i}::bigint, :reset${i}::integer)`);
  const restart = 'throttle_counters.expire <= :now OR (SELECT reset FROM changes WHERE changes.key = excluded.key) = 1';
  statement = sql(
    `WITH changes (key, points, expire, reset) AS (VALUES ${values.join(', ')})
     INSERT INTO throttle_counters (key, points, expire) SELECT key, points, expire FROM changes WHERE true
     ON CONFLICT (key) DO UPDATE SET
       points = CASE WHEN ${restart} THEN excluded.points ELSE throttle_counters.points + excluded.points END,
       expire = CASE WHEN ${restart} THEN excluded.expire ELSE throttle_counters.expire END
     RETURNING key, points, expire`,
  );
  changeStatements[rows] = statement;
  return statement;
}

/** The window of a read (and of a deleted key): ended at the epoch, so that it never moves and the cache triggers stay quiet. */
const ENDED = 0;
const CLEAR_EXPIRED = sql('DELETE FROM throttle_counters WHERE expire < :now');

/** Expired counters are deleted this often (milliseconds). */
const CLEAR_EVERY_MS = 5 * 60_000;

/**
 * Keys known to have no live counter, so that the check every client authentication makes (is
 * this client blocked from this address?) costs no query while nobody is failing. Kept by the
 * SQLite store, which sees every write to the table (see sqlite/read-caches.ts).
 */
export interface AbsentKeys {
  has(key: string): boolean;
  /** Counts the writes seen: a lookup started before a write must not remember an old absence. */
  readonly writes: number;
  remember(key: string): void;
  close(): void;
}

function state(row: Row): CounterState {
  const expire = row.expire as number | null;
  return { consumedPoints: row.points as number, msBeforeNext: expire ? Math.max(expire - Date.now(), 0) : -1 };
}

class SqlCounter implements Counter {
  constructor(
    private readonly db: Driver,
    readonly prefix: string,
    readonly points: number,
    readonly durationMs: number,
    private readonly absent: AbsentKeys | undefined,
  ) {}

  async get(key: string): Promise<CounterState | null> {
    const stored = `${this.prefix}:${key}`;
    if (this.absent?.has(stored)) return null;
    const seen = this.absent?.writes;
    const found = await this.db.one(GET, { key: stored, now: Date.now() }, state);
    if (!found && this.absent && this.absent.writes === seen) this.absent.remember(stored);
    return found ?? null;
  }

  penalty(key: string, points = 1): Promise<CounterState> {
    return this.add(key, points);
  }

  reward(key: string, points = 1): Promise<CounterState> {
    return this.add(key, -points);
  }

  async block(key: string, seconds: number): Promise<CounterState> {
    const ms = seconds * 1000;
    await this.db.hot.run(SET, { key: `${this.prefix}:${key}`, points: this.points + 1, expire: ms > 0 ? Date.now() + ms : null });
    return { consumedPoints: this.points + 1, msBeforeNext: ms > 0 ? ms : -1 };
  }

  async delete(key: string): Promise<boolean> {
    return (await this.db.hot.run(DELETE, { key: `${this.prefix}:${key}` })) > 0;
  }

  private async add(key: string, points: number): Promise<CounterState> {
    const now = Date.now();
    const params = { key: `${this.prefix}:${key}`, points, expire: this.durationMs > 0 ? now + this.durationMs : null, now };
    return (await this.db.hot.one(ADD, params, state))!;
  }
}

/** Counters in the store's own database; with `sweep`, one timer clears expired rows of the shared table. */
export function sqlCounters(db: Driver, absent?: AbsentKeys, sweep = true): Counters {
  const timer = sweep
    ? setInterval(() => {
        db.hot.run(CLEAR_EXPIRED, { now: Date.now() }).catch(() => undefined);
      }, CLEAR_EVERY_MS)
    : undefined;
  timer?.unref();
  return {
    kind: db.dialect,
    change: (changes) => changeAll(db, changes),
    counter: (name, options) => new SqlCounter(db, `portcullis:${name}`, options.points, options.durationSeconds * 1000, absent),
    async close() {
      clearInterval(timer);
      absent?.close();
    },
  };
}

/** The row one change writes: [key, points, expire, reset]. */
function changeRow(change: CounterChange, now: number): [string, number, number | null, 0 | 1] {
  const counter = change.counter;
  if (!(counter instanceof SqlCounter)) throw new TypeError('Counters.change: a counter of another backend');
  const key = `${counter.prefix}:${change.key}`;
  switch (change.op) {
    case 'add':
      return [key, change.points, counter.durationMs > 0 ? now + counter.durationMs : null, 0];
    case 'get':
      return [key, 0, ENDED, 0];
    case 'block':
      return [key, counter.points + 1, change.seconds > 0 ? now + change.seconds * 1000 : null, 1];
    case 'delete':
      return [key, 0, ENDED, 1];
  }
}

async function changeAll(db: Driver, changes: readonly CounterChange[]): Promise<(CounterState | null)[]> {
  if (changes.length === 0) return [];
  const now = Date.now();
  const params: Record<string, unknown> = { now };
  const keys = changes.map((change, i) => {
    const [key, points, expire, reset] = changeRow(change, now);
    Object.assign(params, { [`key${i}`]: key, [`points${i}`]: points, [`expire${i}`]: expire, [`reset${i}`]: reset });
    return key;
  });
  const rows = new Map((await db.hot.all(changeStatement(changes.length), params, (row) => row)).map((row) => [row.key as string, row]));
  return changes.map((change, i) => {
    const row = rows.get(keys[i]!);
    const expire = row?.expire as number | null | undefined;
    if (!row || change.op === 'delete' || (expire !== null && expire !== undefined && expire <= now)) return null;
    return state(row);
  });
}
