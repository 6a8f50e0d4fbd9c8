import { closeSync, openSync, readSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { ReadCaches, WATCHED_CHANGES } from '../read-caches.ts';

/**
 * The SQLite store's read caches (see ../read-caches.ts), never stale, not even for a moment:
 * - every write through this process's connection fires TEMP triggers (per connection, not part
 *   of the schema) made from WATCHED_CHANGES, whichever code path made it: store methods,
 *   foreign-key cascades, the throttle counters; a trigger calls back into JavaScript,
 *   synchronously, inside the writing statement, and drops the entries the change could make wrong;
 * - a commit by any other connection (the CLI, another `serve` worker on the same file) changes
 *   `PRAGMA data_version`; when it has changed, the rows the triggers of migration 0016 appended
 *   to cache_changes since the last one seen here say which entries to drop (the same list, in
 *   the writer's transaction, whoever wrote); if rows between were trimmed away, every cache is
 *   cleared. Commits that log nothing (new tokens, refresh rotations) drop nothing, so workers
 *   issuing tokens leave each other's caches alone. The rows of this process's own writes are
 *   read too, and drop again what the TEMP triggers dropped: harmless. `beforeLookup` reads the
 *   version before the first cached lookup after a request began (`newRequest`, called by the
 *   HTTP layer and the token verifier once each request is read), so a request sent after the
 *   CLI's commit returned never sees what was there before. Reading it takes WAL locks (two
 *   `fcntl` calls and a read transaction), hence once per request rather than once per lookup;
 *   code that never says when requests begin gets a check per turn of the event loop. Before it,
 *   one `pread` of the WAL-index header (the first 48 bytes of the `-shm` file; its `iChange`
 *   counts every commit, by any connection: https://sqlite.org/walformat.html, "The WAL-Index
 *   Header") says whether anyone committed since the header was last read: if not, the pragma
 *   would answer what it answered last, and is skipped. The header is read before the pragma
 *   runs, so a commit after it changes the header again; a read torn by a commit in progress
 *   differs from the header kept, so it only costs the pragma.
 * A write that is later rolled back has still cleared its entries: clearing too much is harmless.
 * Reads never run inside a write transaction (better-sqlite3 transactions are synchronous), so no
 * cache ever holds an uncommitted row.
 */
/**
 * A changed row's key as the caches know it. The key columns (WATCHED_CHANGES) are TEXT, but for
 * the tokens': their digest's 32 bytes (migration 0014), known by the base64url the store is called with.
 */
function cacheKey(key: string | Buffer | null): string | undefined {
  return key === null ? undefined : typeof key === 'string' ? key : key.toString('base64url');
}

/** One copy of the WAL-index header (https://sqlite.org/walformat.html); the second copy follows it. */
const WAL_INDEX_HEADER_BYTES = 48;

/** The database's `-shm` file, opened read-only, if it is a file in WAL mode. */
function walIndexFile(db: Database.Database): number | undefined {
  if (db.memory || (db.pragma('journal_mode', { simple: true }) as string) !== 'wal') return undefined;
  try {
    return openSync(`${db.name}-shm`, 'r');
  } catch {
    return undefined;
  }
}

export class SqliteReadCaches extends ReadCaches {
  private readonly dataVersion: Database.Statement;
  private readonly changesSince: Database.Statement;
  private lastVersion: number;
  /** The last row of cache_changes applied here. */
  private lastSeq: number;
  /** Every watched table has its 0016 triggers. */
  private readonly logComplete: boolean;
  private checked = false;
  private resetPending = false;
  /** The `-shm` file, read-only; undefined where there is none (an in-memory database), and the pragma runs each time. */
  private walIndex: number | undefined;
  private readonly header = Buffer.alloc(WAL_INDEX_HEADER_BYTES);
  /** The header as read before the last `PRAGMA data_version`. */
  private readonly lastHeader = Buffer.alloc(WAL_INDEX_HEADER_BYTES);

  /** Call once the tables exist (the triggers need them). */
  constructor(db: Database.Database) {
    super();
    db.function('portcullis_changed', { deterministic: false }, (table: string, key: string | Buffer | null) => {
      this.changed(table, cacheKey(key));
      return null;
    });
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.changesSince = db.prepare('SELECT seq, table_name, key FROM cache_changes WHERE seq > ? ORDER BY seq').raw();
    // Rebuilding a table (a later migration, an operator) drops its triggers: without all of them
    // the log is not to be believed, and every commit by another connection clears everything.
    const logging = new Set(db.prepare("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'portcullis_cache_%'").pluck().all());
    this.logComplete = WATCHED_CHANGES.every(({ table }) => logging.has(table));
    this.walIndex = walIndexFile(db);
    this.lastVersion = this.dataVersion.get() as number;
    this.lastSeq = db.prepare('SELECT coalesce(max(seq), 0) FROM cache_changes').pluck().get() as number;
    let triggers = 0;
    for (const { table, events, key } of WATCHED_CHANGES) {
      for (const event of events) {
        const row = key === undefined ? 'NULL' : `${event === 'INSERT' ? 'NEW' : 'OLD'}.${key}`;
        db.exec(`CREATE TEMP TRIGGER portcullis_watch_${triggers++} AFTER ${event} ON main.${table} BEGIN SELECT portcullis_changed('${table}', ${row}); END`);
      }
    }
  }

  /** A request has been read: the next lookup must see every commit made before now, by anyone. */
  newRequest(): void {
    this.checked = false;
  }

  /** Drops what another connection's commits since the last check changed. */
  protected override beforeLookup(): void {
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
    if (this.walIndex !== undefined) {
      const read = readSync(this.walIndex, this.header, 0, WAL_INDEX_HEADER_BYTES, 0);
      if (read === WAL_INDEX_HEADER_BYTES && this.header.equals(this.lastHeader)) return;
      this.header.copy(this.lastHeader);
    }
    const version = this.dataVersion.get() as number;
    if (version === this.lastVersion) return;
    this.lastVersion = version;
    if (!this.logComplete) {
      this.clear();
      return;
    }
    const rows = this.changesSince.all(this.lastSeq) as [number, string, string | Buffer | null][];
    if (rows.length === 0) return;
    // seq counts every committed row (a rolled-back one gives its number back), so a first row
    // past the next number means the trim took rows this process never read.
    if (rows[0]![0] !== this.lastSeq + 1) this.clear();
    else for (const [, table, key] of rows) this.changed(table, cacheKey(key));
    this.lastSeq = rows[rows.length - 1]![0];
  }

  /** Closes the `-shm` file, with the store's connection; lookups after it run the pragma each time. */
  close(): void {
    if (this.walIndex !== undefined) closeSync(this.walIndex);
    this.walIndex = undefined;
  }
}
