import type Database from 'better-sqlite3';
import type { Client, TokenView } from '../../core/model.ts';
import type { AbsentKeys } from '../sql/throttle-counters.ts';
import { BoundedCache, ChangeWatch } from './change-watch.ts';

/** Enough for every live client of a large deployment; a miss costs one indexed read. */
const CLIENTS = 1_000;
/** Access tokens looked up again and again (introspection, the gateway); bounded so that memory is. */
const TOKENS = 10_000;
/** Throttle counter keys known to have no live row; bounded, since every client id and address makes one. */
const ABSENT_COUNTER_KEYS = 10_000;

/**
 * The SQLite store's in-process caches of the rows every client-authenticated request reads: the
 * client, and the state of a presented access token. Each entry is dropped by the change that could
 * make it wrong (see ChangeWatch), so a cached answer is always the answer the database would
 * give. Misses are not cached: a new token or client is found on its first lookup.
 */
export class ReadCaches {
  readonly changes: ChangeWatch;
  private readonly clients = new BoundedCache<string, Client>(CLIENTS);
  private readonly tokens = new BoundedCache<string, TokenView>(TOKENS);

  constructor(db: Database.Database) {
    this.changes = new ChangeWatch(db);
    const clearClients = () => this.clients.clear();
    this.changes.watch(
      [
        { table: 'clients', event: 'INSERT' },
        { table: 'clients', event: 'UPDATE' },
        { table: 'clients', event: 'DELETE' },
        { table: 'client_scopes', event: 'INSERT' },
        { table: 'client_scopes', event: 'DELETE' },
      ],
      clearClients,
      clearClients,
    );
    // A token's view joins its family (revoked?), its client (enabled?) and its user (enabled?).
    const clearTokens = () => this.tokens.clear();
    this.changes.watch(
      [
        { table: 'token_families', event: 'UPDATE OF revoked_at' },
        { table: 'token_families', event: 'DELETE' },
        { table: 'clients', event: 'UPDATE' },
        { table: 'clients', event: 'DELETE' },
        { table: 'users', event: 'INSERT' },
        { table: 'users', event: 'UPDATE OF enabled' },
        { table: 'users', event: 'DELETE' },
      ],
      clearTokens,
      clearTokens,
    );
    this.changes.watch(
      [
        { table: 'tokens', event: 'UPDATE', key: 'OLD.hash' },
        { table: 'tokens', event: 'DELETE', key: 'OLD.hash' },
      ],
      (hash) => this.tokens.delete(hash as string),
      clearTokens,
    );
  }

  client(id: string, load: () => Client | undefined): Client | undefined {
    this.changes.checkExternal();
    const cached = this.clients.get(id);
    if (cached) return cached;
    const client = load();
    if (client) this.clients.set(id, freeze(client));
    return client;
  }

  token(hash: string, load: () => TokenView | undefined): TokenView | undefined {
    this.changes.checkExternal();
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
    const keys = new BoundedCache<string, true>(ABSENT_COUNTER_KEYS);
    let writes = 0;
    const unwatch = this.changes.watch(
      [
        { table: 'throttle_counters', event: 'INSERT', key: 'NEW.key' },
        { table: 'throttle_counters', event: 'UPDATE', key: 'NEW.key' },
        { table: 'throttle_counters', event: 'DELETE', key: 'OLD.key' },
      ],
      (key) => {
        writes++;
        keys.delete(key as string);
      },
      () => {
        writes++;
        keys.clear();
      },
    );
    return {
      has: (key) => {
        this.changes.checkExternal();
        return keys.get(key) === true;
      },
      get writes() {
        return writes;
      },
      remember: (key) => keys.set(key, true),
      close: unwatch,
    };
  }
}

/** Cached records are shared by every request that reads them: nobody may change one. */
function freeze<T extends object>(record: T): T {
  for (const value of Object.values(record)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(record);
}
