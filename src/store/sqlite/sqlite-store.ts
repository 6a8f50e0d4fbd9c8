import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { toClient, toTokenView } from '../rows.ts';
import { CLIENT_BY_ID } from '../sql/clients.ts';
import { SqlStore } from '../sql/sql-store.ts';
import { sqlCounters } from '../sql/throttle-counters.ts';
import { lookupKey, TOKEN_BY_HASH } from '../sql/tokens.ts';
import type { Store } from '../store.ts';
import { AUTO_CHECKPOINT_PAGES, BackgroundCheckpointer, type CheckpointOptions, WAL_LIMIT_PAGES } from './background-checkpointer.ts';
import { SqliteDriver } from './driver.ts';
import { GroupCommit } from './group-commit.ts';
import { SqliteReadCaches } from './read-caches.ts';

function open(path: string): Database.Database {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode survives a process crash (the OS has every committed page); only a
  // power loss can drop the last transactions.
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // For migration 0014, which turns base64url text into bytes: PostgreSQL's decode(), SQLite has none.
  db.function('base64url_bytes', { deterministic: true }, (text: unknown) => (typeof text === 'string' ? Buffer.from(text, 'base64url') : null));
  // Until the checkpoint thread starts (never for CLI commands): checkpoint every ~40 MB of WAL
  // instead of every 4 MB: hot pages (index right edges, interior pages) are rewritten many times
  // between checkpoints but copied to the database only once.
  db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  return db;
}

/**
 * The embedded store: one SQLite file in WAL mode, through better-sqlite3's synchronous API.
 * Token writes of the hot paths (grants, refreshes) and throttle counters are committed in groups
 * (see GroupCommit); clients, access-token views and absent counter keys are read from caches
 * that are never stale (see SqliteReadCaches).
 */
export class SqliteStore extends SqlStore implements Store {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly writes: GroupCommit;
  private readonly checkpointer: BackgroundCheckpointer;
  /** On once the schema is migrated (their triggers need the tables). */
  private caches: SqliteReadCaches | undefined;

  /**
   * `backgroundCheckpoint: false` leaves the WAL checkpoints to another process on the same file
   * (`serve --workers`); the other options tune the checkpoint thread.
   */
  constructor(
    readonly path: string,
    options: { backgroundCheckpoint?: boolean } & CheckpointOptions = {},
  ) {
    const db = open(path);
    const { backgroundCheckpoint = true, ...checkpoints } = options;
    // Another process's checkpoint thread keeps the WAL at its limit (`serve --workers`: worker 1's,
    // whose held checkpoint stops this connection's writes too): at the same length this connection
    // would checkpoint on the event loop first, after each commit until the WAL starts over. It does
    // so only past twice the limit, should that thread fall behind or be gone (worker 1 restarting).
    if (!backgroundCheckpoint) db.pragma(`wal_autocheckpoint = ${2 * WAL_LIMIT_PAGES}`);
    const checkpointer = new BackgroundCheckpointer(
      path,
      {
        autoCheckpoint: (pages) => {
          if (db.open) db.pragma(`wal_autocheckpoint = ${pages}`);
        },
        holdWrites: () => writes.hold(),
      },
      checkpoints,
    );
    const writes: GroupCommit = new GroupCommit(db, backgroundCheckpoint ? () => checkpointer.start() : undefined);
    const driver = new SqliteDriver(db, writes);
    super(driver);
    this.db = db;
    this.writes = writes;
    this.checkpointer = checkpointer;
    this.findClient = async (id) => {
      const load = () => driver.oneSync(CLIENT_BY_ID, { id }, toClient);
      return this.caches ? this.caches.client(id, load) : load();
    };
    this.findToken = async (hash) => {
      const key = lookupKey(hash);
      if (!key) return undefined;
      const load = () => driver.oneSync(TOKEN_BY_HASH, { hash: key }, toTokenView);
      return this.caches ? this.caches.token(hash, load) : load();
    };
    this.throttleCounters = (options) => {
      if (!this.caches) throw new Error('throttleCounters: migrate the store first');
      return sqlCounters(driver, this.caches.absentCounterKeys(), options?.sweep ?? true);
    };
  }

  override async migrate(): Promise<number[]> {
    const applied = await super.migrate();
    this.caches ??= new SqliteReadCaches(this.db);
    return applied;
  }

  /** What the read caches did so far (see ReadCaches.statistics); undefined before `migrate`. */
  cacheStatistics(): { loads: number; clears: number } | undefined {
    return this.caches && { ...this.caches.statistics };
  }

  /** How often the checkpoint thread held the writes, and for how long (see BackgroundCheckpointer.statistics). */
  checkpointStatistics(): { holds: number; heldMs: number; longestHoldMs: number } {
    return { ...this.checkpointer.statistics };
  }

  startRequest(): void {
    this.caches?.newRequest();
  }

  async close(): Promise<void> {
    // The checkpointer first: it ends any hold on the writes that the flush must commit.
    await this.checkpointer.stop();
    if (this.db.open) this.writes.flush();
    this.caches?.close();
    if (this.db.open) this.db.close();
  }
}
