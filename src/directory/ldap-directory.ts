import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AndFilter,
  BusyError,
  ConstraintViolationError,
  type Entry,
  EqualityFilter,
  type Filter,
  FilterParser,
  InvalidCredentialsError,
  OrFilter,
  ResultCodeError,
  type SearchOptions,
  UnavailableError,
  UnwillingToPerformError,
} from 'ldapts';
import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import { canonicalUsername } from '../core/username.ts';
import { disabledByAccountControl } from './account-control.ts';
import { BindCost } from './bind-cost.ts';
import { ConnectionPool, PoolExhausted } from './connection-pool.ts';
import type { DirectoryConfig } from './directory-config.ts';
import { GroupMap } from './group-map.ts';
import { beforeDeadline, DirectoryUnavailable, isConnectionFailure, type LdapConnection, openAny, type Transport } from './ldap-connection.ts';

/** A user as the directory describes it. */
export interface DirectoryEntry {
  /** The username as the directory spells it (the value of the username attribute). */
  username: string;
  dn: string;
  enabled: boolean;
  /** The directory groups (DNs) the user is a direct member of. */
  groupDns: string[];
  /** The Portcullis groups those map to. */
  groups: string[];
}

/** What a password check at the directory found. Reasons go to the audit log, never to the client. */
export type DirectoryLogin = { ok: true; entry: DirectoryEntry } | { ok: false; reason: 'unknown_user' | 'disabled_user' | 'wrong_password' };

/** Whether the directory answers, as /readyz, the metrics and the console report it. */
export interface DirectoryState {
  status: 'up' | 'down' | 'unknown';
  /** Since when (seconds since the epoch) it has been so; `null` before the first operation. */
  since: number | null;
  /** Why it is down: the last failure (no credentials in it). */
  error: string | null;
}

/** A user entry found by a search, before its password is checked. */
export interface Found {
  entry: Entry;
  disabled: boolean;
}

/** Callbacks for the metrics: one per directory operation. */
export type OperationObserver = (operation: 'search' | 'bind', outcome: 'ok' | 'refused' | 'unavailable') => void;

/** How long a probe's answer is reused by /readyz. */
const PROBE_MAX_AGE_MS = 5_000;
/** Idle connections are closed after this; servers drop idle connections (Active Directory after 15 min). */
const IDLE_MS = 60_000;
/** The most usernames one name-check search asks for. */
const NAMES_PER_SEARCH = 50;

/** An attribute's values, its name compared case-insensitively (servers answer in their own case). */
export function values(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((candidate) => candidate.toLowerCase() === name.toLowerCase());
  const value = key === undefined ? undefined : entry[key];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : item));
}

function unavailable(error: unknown): DirectoryUnavailable {
  if (error instanceof DirectoryUnavailable) return error;
  if (error instanceof PoolExhausted) return new DirectoryUnavailable(error.message, { cause: error });
  if (error instanceof ResultCodeError) return new DirectoryUnavailable(`the directory answered ${error.code} (${error.message})`, { cause: error });
  return new DirectoryUnavailable((error as Error).message, { cause: error });
}

/**
 * Users and passwords in an LDAP or Active Directory server (docs/directory.md): search-then-bind.
 * A service account searches for the user's entry (the username goes into the filter as a value of
 * an equality filter, never as filter text: RFC 4515 escaping is the library's), then the password
 * is checked by binding as the DN found, on a connection of a second pool that never searches.
 * Unknown and disabled users cost a bind-shaped stand-in: a bind to a DN that does not exist, then a
 * wait up to what real binds cost lately (bind-cost.ts). Passwords are never kept.
 * Does NOT throttle (the caller does, before), and does NOT decide local-versus-directory.
 */
export class LdapDirectory {
  readonly groupMap: GroupMap;
  private readonly transport: Transport;
  private readonly userFilter: Filter;
  private readonly disabledFilter: Filter | undefined;
  private readonly groupFilter: Filter;
  private readonly searchPool: ConnectionPool<LdapConnection>;
  private readonly bindPool: ConnectionPool<LdapConnection>;
  private readonly bindCost = new BindCost();
  /** The URL that worked last: new connections try it first. */
  private preferred = 0;
  private current: DirectoryState = { status: 'unknown', since: null, error: null };
  private probed: { at: number; done: Promise<void> } | undefined;
  /** When the last operation settled (performance.now()), for the probe. */
  private lastOperationAt = Number.NEGATIVE_INFINITY;

  constructor(
    readonly config: DirectoryConfig,
    private readonly options: { ca?: string; clock: Clock; logger?: Logger; observe?: OperationObserver },
  ) {
    this.groupMap = new GroupMap(config.groupMap);
    this.transport = { startTls: config.startTls, ca: options.ca, timeoutMs: config.timeoutMs };
    this.userFilter = FilterParser.parseString(config.userFilter);
    this.disabledFilter = config.disabledFilter === undefined ? undefined : FilterParser.parseString(config.disabledFilter);
    this.groupFilter = FilterParser.parseString(config.groupFilter);
    const pool = (create: (deadline: number) => Promise<LdapConnection>) =>
      new ConnectionPool<LdapConnection>({
        max: config.poolSize,
        create,
        destroy: (connection) => connection.close(),
        usable: (connection) => connection.open,
        broken: isConnectionFailure,
        idleMs: IDLE_MS,
      });
    this.searchPool = pool((deadline) => this.openSearchConnection(deadline));
    this.bindPool = pool((deadline) => this.openConnection(deadline));
  }

  /** Whether the directory answered its last operation. */
  get state(): DirectoryState {
    return this.current;
  }

  /** The search and bind pools' connections, for the metrics. */
  poolStats(): { search: ReturnType<ConnectionPool<LdapConnection>['stats']>; bind: ReturnType<ConnectionPool<LdapConnection>['stats']> } {
    return { search: this.searchPool.stats(), bind: this.bindPool.stats() };
  }

  /** A deadline `timeout_ms` from now, for one login or lookup. */
  deadline(): number {
    return performance.now() + this.config.timeoutMs;
  }

  /**
   * Checks a username and password. Throws `DirectoryUnavailable` when the directory does not
   * answer in time (every step shares one deadline: a wait for a pooled connection included).
   */
  async authenticate(username: string, password: string): Promise<DirectoryLogin> {
    const deadline = this.deadline();
    const found = await this.findUser(username, deadline);
    // An empty password would be an unauthenticated bind, which succeeds (RFC 4513 §5.1.2): never sent.
    if (found === undefined || found.disabled || password === '') {
      await this.standInForBind(password, deadline);
      return { ok: false, reason: found === undefined ? 'unknown_user' : found.disabled ? 'disabled_user' : 'wrong_password' };
    }
    if (!(await this.checkPassword(found.entry.dn, password, deadline))) return { ok: false, reason: 'wrong_password' };
    return { ok: true, entry: await this.describe(username, found, deadline) };
  }

  /**
   * What the directory says of a user now, without a password (refreshing cached groups):
   * `undefined` when no entry matches. Throws `DirectoryUnavailable` like `authenticate`.
   */
  async lookup(username: string, deadline = this.deadline()): Promise<DirectoryEntry | undefined> {
    const found = await this.findUser(username, deadline);
    return found === undefined ? undefined : this.describe(username, found, deadline);
  }

  /**
   * Finds the user's entry, and whether it is disabled (Active Directory's userAccountControl, or
   * `disabled_filter`). Not found, or found twice (an ambiguous filter), is `undefined`.
   */
  async findUser(username: string, deadline: number): Promise<Found | undefined> {
    const config = this.config;
    const attributes = [config.usernameAttribute];
    if (config.groups === 'member_of') attributes.push(config.memberOfAttribute);
    if (config.type === 'active_directory') attributes.push('userAccountControl');
    // The username is a value of an equality filter: the library encodes it as such (and escapes
    // it in the filter's text), so `*`, `(`, `)`, `\` and NUL in it are characters, never syntax.
    const filter = new AndFilter({ filters: [this.userFilter, new EqualityFilter({ attribute: config.usernameAttribute, value: username })] });
    const entries = await this.search(deadline, config.userBase, { scope: 'sub', filter, attributes, sizeLimit: 2 });
    if (entries.length > 1) this.options.logger?.warn({ count: entries.length }, 'directory: the user filter matched more than one entry for a username; refused');
    const entry = entries.length === 1 ? entries[0]! : undefined;
    // Found or not, the same round trips: the disabled check runs on the base when there is no entry.
    const disabledByFilter = await this.matchesDisabledFilter(entry?.dn ?? config.userBase, deadline);
    if (entry === undefined) return undefined;
    const disabled = disabledByFilter || (config.type === 'active_directory' && disabledByAccountControl(values(entry, 'userAccountControl')[0]));
    return { entry, disabled };
  }

  /** Binds as `dn` with `password` on a connection that never searches; true when the directory accepts it. */
  async checkPassword(dn: string, password: string, deadline: number): Promise<boolean> {
    const started = performance.now();
    const accepted = await this.bind(dn, password, deadline);
    this.bindCost.record(performance.now() - started);
    return accepted;
  }

  /**
   * Which of `usernames` the directory also has (a configuration error: docs/directory.md, "Local
   * and directory users"). Asks in searches of a few dozen names each, each with its own deadline.
   */
  async findNames(usernames: readonly string[]): Promise<string[]> {
    const attribute = this.config.usernameAttribute;
    const wanted = new Map(usernames.map((name) => [canonicalUsername(name), name]));
    const found = new Set<string>();
    for (let start = 0; start < usernames.length; start += NAMES_PER_SEARCH) {
      const names = usernames.slice(start, start + NAMES_PER_SEARCH);
      const filter = new AndFilter({
        filters: [this.userFilter, new OrFilter({ filters: names.map((value) => new EqualityFilter({ attribute, value })) })],
      });
      for (const entry of await this.search(this.deadline(), this.config.userBase, { scope: 'sub', filter, attributes: [attribute] })) {
        for (const value of values(entry, attribute)) {
          const local = wanted.get(canonicalUsername(value));
          if (local !== undefined) found.add(local);
        }
      }
    }
    return [...found].sort();
  }

  /**
   * Whether the directory answers: the state after its last operation, with a search of the user
   * base as the service account when nothing was asked of it for 5 s. Probes at the same time
   * share one, so that a busy /readyz cannot flood the directory.
   */
  async probe(): Promise<DirectoryState> {
    const now = performance.now();
    if (now - Math.max(this.probed?.at ?? Number.NEGATIVE_INFINITY, this.lastOperationAt) >= PROBE_MAX_AGE_MS) {
      const done = this.search(this.deadline(), this.config.userBase, { scope: 'base', attributes: ['1.1'] }).then(
        () => undefined,
        () => undefined,
      );
      this.probed = { at: now, done };
    }
    await this.probed?.done;
    return this.current;
  }

  /** Opens (and closes) one connection to each URL in turn, for `directory test`: what each one answered. */
  async connectEach(): Promise<{ url: string; error: string | undefined }[]> {
    const results: { url: string; error: string | undefined }[] = [];
    for (const url of this.config.urls) {
      try {
        (await openAny([url], 0, this.transport, this.deadline())).connection.close();
        results.push({ url, error: undefined });
      } catch (error) {
        results.push({ url, error: unavailable(error).message });
      }
    }
    return results;
  }

  /** Opens a connection and binds it as the service account, for `directory test`; throws `DirectoryUnavailable`. */
  async checkServiceBind(): Promise<void> {
    (await this.openSearchConnection(this.deadline())).close();
  }

  /** Whether an entry exists (a base search as the service account), for `directory test`. */
  async exists(dn: string): Promise<boolean> {
    try {
      return (await this.search(this.deadline(), dn, { scope: 'base', attributes: ['1.1'] })).length === 1;
    } catch (error) {
      if (error instanceof DirectoryUnavailable && error.cause instanceof ResultCodeError && error.cause.code === 32) return false;
      throw error;
    }
  }

  /** The groups of a found user, for `directory test`. */
  async describeFound(username: string, found: Found): Promise<DirectoryEntry> {
    return this.describe(username, found, this.deadline());
  }

  /**
   * The state now, without waiting: a probe starts in the background when nothing was asked of the
   * directory for 5 s, and its answer shows from the next call. For /readyz, which must answer at
   * once however slow the directory is.
   */
  stateNow(): DirectoryState {
    void this.probe();
    return this.current;
  }

  close(): void {
    this.searchPool.close();
    this.bindPool.close();
  }

  private async describe(username: string, found: Found, deadline: number): Promise<DirectoryEntry> {
    const spelled = values(found.entry, this.config.usernameAttribute);
    const groupDns = await this.groupDnsOf(found.entry, deadline);
    return {
      username: spelled.find((value) => canonicalUsername(value) === canonicalUsername(username)) ?? spelled[0] ?? username,
      dn: found.entry.dn,
      enabled: !found.disabled,
      groupDns,
      groups: this.groupMap.map(groupDns),
    };
  }

  private async groupDnsOf(entry: Entry, deadline: number): Promise<string[]> {
    if (this.config.groups === 'member_of') return values(entry, this.config.memberOfAttribute);
    const member = (attribute: string) => new EqualityFilter({ attribute, value: entry.dn });
    const filter = new AndFilter({ filters: [this.groupFilter, new OrFilter({ filters: [member('member'), member('uniqueMember')] })] });
    const groups = await this.search(deadline, this.config.groupBase!, { scope: 'sub', filter, attributes: ['1.1'], paged: { pageSize: 500 } });
    return groups.map((group) => group.dn);
  }

  private async matchesDisabledFilter(dn: string, deadline: number): Promise<boolean> {
    if (this.disabledFilter === undefined) return false;
    return (await this.search(deadline, dn, { scope: 'base', filter: this.disabledFilter, attributes: ['1.1'] })).length > 0;
  }

  /**
   * Takes the time a password check takes, without checking one: a bind to a DN that cannot exist
   * (with a random password of the same length), then a wait up to the typical cost of a real bind.
   */
  private async standInForBind(password: string, deadline: number): Promise<void> {
    const started = performance.now();
    const nobody = `cn=portcullis-no-such-user-${randomBytes(12).toString('hex')},${this.config.userBase}`;
    await this.bind(nobody, randomBytes(Math.max(1, Buffer.byteLength(password))).toString('base64').slice(0, Math.max(1, password.length)), deadline, true);
    const padding = this.bindCost.padding(performance.now() - started);
    if (padding > 0) await sleep(padding);
  }

  private async search(deadline: number, base: string, options: SearchOptions): Promise<Entry[]> {
    try {
      const result = await this.searchPool.use(deadline, (connection) =>
        beforeDeadline(deadline, 'a search', connection.client.search(base, options), () => connection.close()),
      );
      this.observe('search', 'ok');
      return result.searchEntries;
    } catch (error) {
      this.observe('search', 'unavailable', error);
      throw unavailable(error);
    }
  }

  /**
   * A bind; false when the directory refused the credentials. For a user, that is invalid
   * credentials (49; also what Active Directory and password policies answer for locked or expired
   * accounts), constraint violation (19) or unwilling to perform (53); any other result code (TLS
   * required, authentication method refused, …) is a configuration problem, answered as the
   * directory being unavailable rather than as everyone's wrong password. For the stand-in, any
   * refusal is expected (a server may say the DN does not exist), only busy or unavailable is not.
   */
  private async bind(dn: string, password: string, deadline: number, standIn = false): Promise<boolean> {
    try {
      const accepted = await this.bindPool.use(deadline, async (connection) => {
        try {
          await beforeDeadline(deadline, 'a bind', connection.client.bind(dn, password), () => connection.close());
          return true;
        } catch (error) {
          const refused = standIn
            ? error instanceof ResultCodeError && !(error instanceof BusyError || error instanceof UnavailableError)
            : error instanceof InvalidCredentialsError || error instanceof ConstraintViolationError || error instanceof UnwillingToPerformError;
          if (refused) return false;
          if (error instanceof ResultCodeError) this.options.logger?.error({ code: error.code }, 'directory: a bind was answered with an unexpected result code');
          throw error;
        }
      });
      this.observe('bind', accepted ? 'ok' : 'refused');
      return accepted;
    } catch (error) {
      this.observe('bind', 'unavailable', error);
      throw unavailable(error);
    }
  }

  private async openConnection(deadline: number): Promise<LdapConnection> {
    const { connection, index } = await openAny(this.config.urls, this.preferred, this.transport, deadline);
    if (index !== this.preferred) this.options.logger?.warn({ url: this.config.urls[index] }, 'directory: failed over to another server');
    this.preferred = index;
    return connection;
  }

  /** A connection bound as the service account (or anonymous when none is configured). */
  private async openSearchConnection(deadline: number): Promise<LdapConnection> {
    const connection = await this.openConnection(deadline);
    if (this.config.bindDn === undefined) return connection;
    try {
      await beforeDeadline(deadline, 'the service bind', connection.client.bind(this.config.bindDn, this.config.bindPassword ?? ''), () => connection.close());
      return connection;
    } catch (error) {
      connection.close();
      if (error instanceof InvalidCredentialsError) {
        throw new DirectoryUnavailable('the directory refused the service account: check directory.bind_dn and its password');
      }
      throw unavailable(error);
    }
  }

  private observe(operation: 'search' | 'bind', outcome: 'ok' | 'refused' | 'unavailable', error?: unknown): void {
    this.options.observe?.(operation, outcome);
    this.lastOperationAt = performance.now();
    const status = outcome === 'unavailable' ? 'down' : 'up';
    const message = outcome === 'unavailable' ? unavailable(error).message : null;
    if (status !== this.current.status || message !== this.current.error) {
      if (status === 'down' && this.current.status !== 'down') this.options.logger?.error({ reason: message }, 'directory: not answering');
      if (status === 'up' && this.current.status === 'down') this.options.logger?.warn('directory: answering again');
      this.current = { status, since: status === this.current.status ? this.current.since : this.options.clock.nowSeconds(), error: message };
    }
  }
}
