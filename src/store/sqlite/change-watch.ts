import type Database from 'better-sqlite3';

/** A row change a cache cares about: `AFTER INSERT ON clients`, `AFTER UPDATE OF enabled ON users`, … */
export interface WatchedChange {
  table: string;
  event: 'INSERT' | 'UPDATE' | 'DELETE' | `UPDATE OF ${string}`;
  /** An expression of the row (`OLD.hash`) handed to the listener, so that it can drop one entry. */
  key?: string;
}

/**
 * Tells the in-process read caches of the SQLite store when what they hold may have changed, so
 * that they are never stale, not even for a moment:
 * - every write through this process's connection fires TEMP triggers (per connection, not part
 *   of the schema), whichever code path made it: store methods, foreign-key cascades, the throttle
 *   counters; a trigger calls back into JavaScript, synchronously, inside the writing statement;
 * - a commit by any other connection (the CLI, another process on the same file) changes
 *   `PRAGMA data_version`; when it has changed, every cache is cleared. `checkExternal` reads it
 *   before the first cached lookup after a request began (`newRequest`, called by the HTTP layer
 *   and the token verifier once each request is read), so a request sent after the CLI's commit
 *   returned never sees what was there before. Reading it takes WAL locks (system calls), hence
 *   once per request rather than once per lookup; code that never says when requests begin gets a
 *   check per turn of the event loop.
 * A write that is later rolled back has still cleared its entries: clearing too much is harmless.
 * Reads never run inside a write transaction (better-sqlite3 transactions are synchronous), so no
 * cache ever holds an uncommitted row.
 */
export class ChangeWatch {
  private readonly listeners = new Map<string, (key: unknown) => void>();
  private readonly clearers: (() => void)[] = [];
  private readonly dataVersion: Database.Statement;
  private lastVersion: number;
  private checked = false;
  private resetPending = false;
  private channels = 0;
  private triggers = 0;

  constructor(private readonly db: Database.Database) {
    db.function('portcullis_changed', { deterministic: false }, (channel: unknown, key: unknown) => {
      this.listeners.get(channel as string)?.(key);
      return null;
    });
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.lastVersion = this.dataVersion.get() as number;
  }

  /**
   * Calls `listener` on each watched change made through this connection (with the row's key
   * when one is named), and `clear` when another connection has committed. Call once the tables exist.
   */
  watch(changes: WatchedChange[], listener: (key: unknown) => void, clear: () => void): () => void {
    const channel = `c${this.channels++}`;
    this.listeners.set(channel, listener);
    this.clearers.push(clear);
    const names = changes.map((change) => {
      const name = `portcullis_watch_${this.triggers++}`;
      this.db.exec(
        `CREATE TEMP TRIGGER ${name} AFTER ${change.event} ON main.${change.table}
         BEGIN SELECT portcullis_changed('${channel}', ${change.key ?? 'NULL'}); END`,
      );
      return name;
    });
    return () => {
      this.listeners.delete(channel);
      this.clearers.splice(this.clearers.indexOf(clear), 1);
      if (this.db.open) for (const name of names) this.db.exec(`DROP TRIGGER IF EXISTS temp.${name}`);
    };
  }

  /** A request has been read: the next lookup must see every commit made before now, by anyone. */
  newRequest(): void {
    this.checked = false;
  }

  /** Clears every cache if another connection has committed since the last check. */
  checkExternal(): void {
    if (this.checked) return;
    this.checked = true;
    // The fallback for callers that never call newRequest: at most one pending per turn, not one
    // per request (newRequest clears the flag on every request of the HTTP path).
    if (!this.resetPending) {
      this.resetPending = true;
      setImmediate(() => {
        this.resetPending = false;
        this.checked = false;
      });
    }
    const version = this.dataVersion.get() as number;
    if (version === this.lastVersion) return;
    this.lastVersion = version;
    for (const clear of this.clearers) clear();
  }
}

/** A map that holds at most `capacity` entries, dropping the oldest first. */
export class BoundedCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    return this.entries.get(key);
  }

  set(key: K, value: V): void {
    if (this.entries.size >= this.capacity && !this.entries.has(key)) {
      this.entries.delete(this.entries.keys().next().value as K);
    }
    this.entries.set(key, value);
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
