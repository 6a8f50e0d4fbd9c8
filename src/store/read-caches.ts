import { LRUCache } from 'lru-cache';
import type { Client, TokenView } from '../core/model.ts';
import type { AbsentKeys } from './sql/throttle-counters.ts';

/** Enough for every live client of a large deployment; a miss costs one indexed read. */
const CLIENTS = 1_000;
/** Access tokens looked up again and again (introspection, the gateway); bounded so that memory is. */
const TOKENS = 10_000;
/** Throttle counter keys known to have no live row; bounded, since every client id and address makes one. */
const ABSENT_COUNTER_KEYS = 10_000;

export type ChangeEvent = 'INSERT' | 'UPDATE' | 'DELETE' | `UPDATE OF ${string}`;

/**
 * The row changes that can make a cached entry wrong, by table, with the column that names the one
 * entry a change concerns where there is one (else a change drops every entry it could touch).
 * Each store reports them to `ReadCaches.changed`: the SQLite store through TEMP triggers made from
 * this list (sqlite/read-caches.ts), the PostgreSQL store through the triggers of migration 0015,
 * which notify the same changes (narrowed to the rows a cache can hold).
 */
export const WATCHED_CHANGES: readonly { table: string; events: readonly ChangeEvent[]; key?: string }[] = [
  { table: 'clients', events: ['INSERT', 'UPDATE', 'DELETE'] },
  { table: 'client_scopes', events: ['INSERT', 'DELETE'] },
  // A token's view joins its family (revoked?), its client (enabled?) and its user (enabled?).
  { table: 'token_families', events: ['UPDATE OF revoked_at', 'DELETE'] },
  { table: 'users', events: ['INSERT', 'UPDATE OF enabled', 'DELETE'] },
  { table: 'tokens', events: ['UPDATE', 'DELETE'], key: 'hash' },
  { table: 'throttle_counters', events: ['INSERT', 'UPDATE', 'DELETE'], key: 'key' },
];

type Lookup<T> = T | undefined | Promise<T | undefined>;

/**
 * A store's in-process caches of the rows every client-authenticated request reads: the client,
 * the state of a presented access token, and the throttle counter keys that have no row. Misses
 * are not cached: a new token or client is found on its first lookup. What keeps them right is
 * the store's business: it reports each change that could make an entry wrong (`changed`, per
 * WATCHED_CHANGES), clears them all when it cannot tell what changed (`clear`), and may stop
 * their use while it cannot see changes at all (`distrust` until `trust`).
 * A lookup whose load overlapped any change is answered but not remembered: the row it read may be
 * the one the change replaced.
 */
export class ReadCaches {
  private readonly clients = new LRUCache<string, Client>({ max: CLIENTS });
  private readonly tokens = new LRUCache<string, TokenView>({ max: TOKENS });
  private readonly absentKeySets = new Set<LRUCache<string, true>>();
  /** Counts changes and clears: a load that began at another count may hold an old row. */
  private generation = 0;
  /** For tests and diagnostics: lookups that went to the store while trusted, and whole clears. */
  readonly statistics = { loads: 0, clears: 0 };

  constructor(private trusted = true) {}

  client(id: string, load: () => Lookup<Client>): Lookup<Client> {
    return this.read(this.clients, id, load, () => true);
  }

  token(hash: string, load: () => Lookup<TokenView>): Lookup<TokenView> {
    // A refresh token is read once, then rotated: caching it would only push out access tokens,
    // which introspection and the gateway read again and again.
    return this.read(this.tokens, hash, load, (token) => token.kind === 'access');
  }

  /** The throttle counters' absent keys (see sql/throttle-counters.ts): a key is forgotten on any write to its row. */
  absentCounterKeys(): AbsentKeys {
    const keys = new LRUCache<string, true>({ max: ABSENT_COUNTER_KEYS });
    this.absentKeySets.add(keys);
    const generation = () => this.generation;
    return {
      has: (key) => {
        this.beforeLookup();
        return this.trusted && keys.get(key) === true;
      },
      get writes() {
        return generation();
      },
      remember: (key) => {
        if (this.trusted) keys.set(key, true);
      },
      close: () => this.absentKeySets.delete(keys),
    };
  }

  /** A row of `table` changed (per WATCHED_CHANGES); `key` names it when the table has a key column. */
  changed(table: string, key: string | undefined): void {
    this.generation++;
    switch (table) {
      case 'clients':
        this.clients.clear();
        this.tokens.clear();
        break;
      case 'client_scopes':
        this.clients.clear();
        break;
      case 'token_families':
      case 'users':
        this.tokens.clear();
        break;
      case 'tokens':
        if (key === undefined) this.tokens.clear();
        else this.tokens.delete(key);
        break;
      case 'throttle_counters':
        for (const keys of this.absentKeySets) {
          if (key === undefined) keys.clear();
          else keys.delete(key);
        }
        break;
      default:
        this.clear();
    }
  }

  /** Forgets every entry: something changed, and what is not known. */
  clear(): void {
    this.generation++;
    this.statistics.clears++;
    this.clients.clear();
    this.tokens.clear();
    for (const keys of this.absentKeySets) keys.clear();
  }

  /** Changes can no longer be seen: every lookup goes to the store, and nothing is remembered. */
  distrust(): void {
    this.trusted = false;
    this.clear();
  }

  /** Changes are seen again, from now on: what was remembered before may be wrong, so it goes. */
  trust(): void {
    this.clear();
    this.trusted = true;
  }

  /** Called before each lookup: a store that must check for changes first does it here. */
  protected beforeLookup(): void {}

  private read<T extends object>(cache: LRUCache<string, T>, key: string, load: () => Lookup<T>, keep: (value: T) => boolean): Lookup<T> {
    this.beforeLookup();
    if (!this.trusted) return load();
    const cached = cache.get(key);
    if (cached) return cached;
    this.statistics.loads++;
    const generation = this.generation;
    const remember = (value: T | undefined): T | undefined => {
      if (value && keep(value) && this.trusted && generation === this.generation) cache.set(key, freeze(value));
      return value;
    };
    const loaded = load();
    return loaded instanceof Promise ? loaded.then(remember) : remember(loaded);
  }
}

/** Cached records are shared by every request that reads them: nobody may change one. */
function freeze<T extends object>(record: T): T {
  for (const value of Object.values(record)) if (Array.isArray(value)) Object.freeze(value);
  return Object.freeze(record);
}
