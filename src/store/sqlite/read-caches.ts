import type Database from 'better-sqlite3';
import { LRUCache } from 'lru-cache';
import type { Client, TokenView } from '../../core/model.ts';
import type { AbsentKeys } from '../sql/throttle-counters.ts';

/** Enough for every live client of a large deployment; a miss costs one indexed read. */
const CLIENTS = 1_000;
/** Access tokens looked up again and again (introspection, the gateway); bounded so that memory is. */
const TOKENS = 10_000;
/** Throttle counter keys known to have no live row; bounded, since every client id and address makes one. */
const ABSENT_COUNTER_KEYS = 10_000;

/** The row changes a cache cares about, by table: `{ users: ['INSERT', 'UPDATE OF enabled', 'DELETE'] }`. */
type Changes = Record<string, ('INSERT' | 'UPDATE' | 'DELETE' | `UPDATE OF ${string}`)[]>;

/**
 * The SQLite store's in-process caches of the rows every client-authenticated request reads: the
 * client, the state of a presented access token, and the throttle counter keys that have no row.
 * Misses are not cached: a new token or client is found on its first lookup. The caches are never
 * stale, not even for a moment:
 * - every write through this process's connection fires TEMP triggers (per connection, not part
 *   of the schema), whichever code path made it: store methods, foreign-key cascades, the throttle
 *   counters; a trigger calls back into JavaScript, synchronously, inside the writing statement,
 *   and drops the entries the change could make wrong;
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
export class ReadCaches {
  private readonly clients = new LRUCache<string, Client>({ max: CLIENTS });
  private readonly tokens = new LRUCache<string, TokenView>({ max: TOKENS });
  private readonly listeners = new Map<string, (key: unknown) => void>();
  private readonly clearers: (() => void)[] = [];
  private readonly dataVersion: Database.Statement;
  private lastVersion: number;
  private checked = false;
  private resetPending = false;
  private channels = 0;
  private triggers = 0;

  /** Call once the tables exist (the triggers need them). */
  constructor(private readonly db: Database.Database) {
    db.function('portcullis_changed', { deterministic: false }, (channel: unknown, key: unknown) => {
      this.listeners.get(channel as string)?.(key);
      return null;
    });
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
    this.lastVersion = this.dataVersion.get() as number;

    const clearClients = () => this.clients.clear();
    this.watch({ clients: ['INSERT', 'UPDATE', 'DELETE'], client_scopes: ['INSERT', 'DELETE'] }, clearClients, clearClients);
    // A token's view joins its family (revoked?), its client (enabled?) and its user (enabled?).
    const clearTokens = () => this.tokens.clear();
    this.watch(
      { token_families: ['UPDATE OF revoked_at', 'DELETE'], clients: ['UPDATE', 'DELETE'], users: ['INSERT', 'UPDATE OF enabled', 'DELETE'] },
      clearTokens,
      clearTokens,
    );
    this.watch({ tokens: ['UPDATE', 'DELETE'] }, (hash) => this.tokens.delete((hash as Buffer).toString('base64url')), clearTokens, 'hash');
  }

  client(id: string, load: () => Client | undefined): Client | undefined {
    this.checkExternal();
    const cached = this.clients.get(id);
    if (cached) return cached;
    const client = load();
    if (client) this.clients.set(id, freeze(client));
    return client;
  }

  token(hash: string, load: () => TokenView | undefined): TokenView | undefined {
    this.checkExternal();
    const cached = this.tokens.get(hash);
    if (cached) return cached;
    const token = load();
    // A refresh token is read once, then rotated: caching it would only push out access tokens,
    // which introspection and the gateway read again and again.
    if (token?.kind === 'access') this.tokens.set(hash, freeze(token));
    return token;
  }

  /**
   * The throttle counters' absent keys (see sql/throttle-counters.ts): a key is forgotten on any
   * write to its row through this connection, and every key when another connection commits.
   */
  absentCounterKeys(): AbsentKeys {
    const keys = new LRUCache<string, true>({ max: ABSENT_COUNTER_KEYS });
    let writes = 0;
    const unwatch = this.watch(
      { throttle_counters: ['INSERT', 'UPDATE', 'DELETE'] },
      (key) => {
        writes++;
        keys.delete(key as string);
      },
      () => {
        writes++;
        keys.clear();
      },
      'key',
    );
    return {
      has: (key) => {
        this.checkExternal();
        return keys.get(key) === true;
      },
      get writes() {
        return writes;
      },
      remember: (key) => keys.set(key, true),
      close: unwatch,
    };
  }

  /** A request has been read: the next lookup must see every commit made before now, by anyone. */
  newRequest(): void {
    this.checked = false;
  }

  /**
   * Calls `onChange` on each change made through this connection (with the row's `keyColumn`
   * when one is named), and `onExternal` when another connection has committed.
   */
  private watch(changes: Changes, onChange: (key: unknown) => void, onExternal: () => void, keyColumn?: string): () => void {
    const channel = `c${this.channels++}`;
    this.listeners.set(channel, onChange);
    this.clearers.push(onExternal);
    const names = Object.entries(changes).flatMap(([table, events]) =>
      events.map((event) => {
        const name = `portcullis_watch_${this.triggers++}`;
        const key = keyColumn === undefined ? 'NULL' : `${event === 'INSERT' ? 'NEW' : 'OLD'}.${keyColumn}`;
        this.db.exec(`CREATE TEMP TRIGGER ${name} AFTER ${event} ON main.${table} BEGIN SELECT portcullis_changed('${channel}', ${key}); END`);
        return name;
      }),
    );
    return () => {
      this.listeners.delete(channel);
      this.clearers.splice(this.clearers.indexOf(onExternal), 1);
      if (this.db.open) for (const name of names) this.db.exec(`DROP TRIGGER IF EXISTS temp.${name}`);
    };
  }

  /** Clears every cache if another connection has committed since the last check. */
  private checkExternal(): void {
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

/** Cached records are shared by every request that reads them: nobody may change one. */
function freeze<T extends object>(record: T): T {
  for (const value of Object.values(record)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(record);
}
