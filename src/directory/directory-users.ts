import type { Logger } from 'pino';
import type { LoginFailure } from '../core/audit.ts';
import type { Clock } from '../core/clock.ts';
import { ConfigError, TemporarilyUnavailable } from '../core/errors.ts';
import type { User } from '../core/model.ts';
import { canonicalUsername } from '../core/username.ts';
import { auditChange } from '../manage/audit.ts';
import { ConflictError, type Store } from '../store/store.ts';
import { DirectoryUnavailable } from './ldap-connection.ts';
import type { DirectoryEntry, DirectoryState, LdapDirectory } from './ldap-directory.ts';

/** Seconds a client is asked to wait after the directory did not answer (`Retry-After`). */
export const DIRECTORY_RETRY_AFTER = 5;

/** What a password check of a directory user came to; `user` is the cached copy, when there is one. */
export type DirectoryCheck = { user: User } | { failure: LoginFailure; user: User | undefined };

/** What the start-up check found: names that are both local and in the directory, or that it could not ask. */
export type NameCheck = { checked: true; conflicts: string[] } | { checked: false; reason: string };

/**
 * Directory users as the rest of Portcullis sees them (docs/directory.md): a login is checked by the
 * directory, and a copy of the user (DN, groups, enabled flag, never the password) is kept in the
 * store, so that tokens, ACLs at the gateway and admin access work from it, also while the
 * directory is down. The copy is refreshed at each login, and in the background once it is older
 * than `groups_max_age` when it is used. A refresh that fails keeps the copy as it was: an outage
 * never empties anyone's groups. A user the directory no longer has, or has disabled, is disabled
 * here too, and their tokens end.
 */
export class DirectoryUsers {
  private readonly refreshing = new Map<string, Promise<void>>();
  private nameCheck: NameCheck = { checked: false, reason: 'not checked yet' };
  private checkingNames: Promise<string[]> | undefined;

  constructor(
    readonly directory: LdapDirectory,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger?: Logger,
  ) {}

  get state(): DirectoryState {
    return this.directory.state;
  }

  /** The last name check (docs/directory.md, "Local and directory users"). */
  get names(): NameCheck {
    return this.nameCheck;
  }

  /**
   * At start-up: creates the Portcullis groups the group map names, then asks the directory for
   * every local username. A name in both is a configuration error (ConfigError). A directory that
   * does not answer now is no reason not to start: local users must work without it; the check
   * then runs again at the first login the directory answers.
   */
  async start(): Promise<void> {
    const existing = new Set(await this.store.listGroups());
    for (const group of this.directory.groupMap.targets()) {
      if (existing.has(group)) continue;
      try {
        await this.store.createGroup(group);
        await auditChange(this.store, this.clock, { type: 'group.created', detail: { group, via: 'directory.group_map' } });
      } catch (error) {
        // Another instance starting at the same time created it.
        if (!(error instanceof ConflictError)) throw error;
      }
    }
    const conflicts = await this.checkNames();
    if (conflicts.length > 0) throw new ConfigError(conflictMessage(conflicts));
  }

  /** Asks the directory which local usernames it also has; records and returns them (empty when it did not answer). */
  async checkNames(): Promise<string[]> {
    const locals = (await this.store.listUsers()).filter((user) => user.directory === undefined).map((user) => user.username);
    try {
      const conflicts = await this.directory.findNames(locals);
      this.nameCheck = { checked: true, conflicts };
      if (conflicts.length > 0) this.logger?.error({ usernames: conflicts }, `directory: ${conflictMessage(conflicts)}`);
      return conflicts;
    } catch (error) {
      if (!(error instanceof DirectoryUnavailable)) throw error;
      this.nameCheck = { checked: false, reason: error.message };
      this.logger?.warn({ reason: error.message }, 'directory: not answering at start-up; local and directory usernames are compared once it does');
      return [];
    }
  }

  /**
   * Checks a password with the directory and refreshes the user's copy. Throws
   * `TemporarilyUnavailable` (503, `Retry-After`) when the directory does not answer in time.
   * Does NOT throttle or audit: verifyResourceOwner does.
   */
  async authenticate(username: string, password: string): Promise<DirectoryCheck> {
    let login;
    try {
      login = await this.directory.authenticate(username, password);
    } catch (error) {
      throw asUnavailable(error);
    }
    if (!this.nameCheck.checked && this.checkingNames === undefined) {
      this.checkingNames = this.checkNames()
        .catch((error: unknown) => {
          this.logger?.error({ err: error }, 'directory: the name check failed');
          return [];
        })
        .finally(() => (this.checkingNames = undefined));
    }
    if (!login.ok) {
      const copy = await this.copyOf(username);
      if (copy && login.reason !== 'wrong_password') await this.disable(copy, login.reason);
      return { failure: login.reason, user: copy };
    }
    const user = await this.remember(login.entry);
    if (user === undefined) {
      this.logger?.error({ username: login.entry.username }, `directory: ${conflictMessage([login.entry.username])}; the login is refused`);
      return { failure: 'name_conflict', user: undefined };
    }
    return { user };
  }

  /**
   * Refreshes a directory user's copy in the background when it is older than `groups_max_age`;
   * callers go on with the copy they have. One refresh per user at a time; a failure keeps the copy.
   */
  refreshIfStale(user: User): void {
    if (user.directory === undefined || this.refreshing.has(user.username)) return;
    if (this.clock.nowSeconds() - user.directory.syncedAt < this.directory.config.groupsMaxAge) return;
    const refresh = this.refresh(user)
      .catch((error: unknown) => {
        if (error instanceof DirectoryUnavailable) this.logger?.warn({ reason: error.message }, 'directory: a group refresh failed; the cached groups stay');
        else this.logger?.error({ err: error }, 'directory: a group refresh failed');
      })
      .finally(() => this.refreshing.delete(user.username));
    this.refreshing.set(user.username, refresh);
  }

  /** Waits for the background refreshes running now (shutdown, tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.refreshing.values(), this.checkingNames]);
  }

  close(): void {
    this.directory.close();
  }

  private async refresh(user: User): Promise<void> {
    const entry = await this.directory.lookup(user.username);
    if (entry === undefined) return this.disable(user, 'unknown_user');
    await this.remember(entry);
  }

  /** A directory user's cached copy under this name, if any (never a local user). */
  private async copyOf(username: string): Promise<User | undefined> {
    const user = await this.store.findUser(canonicalUsername(username));
    return user?.directory ? user : undefined;
  }

  /**
   * Stores what the directory said; `undefined` when a local user has the name. The copy's name is
   * the directory's spelling in the one form usernames are compared in (`canonicalUsername`), so
   * that `Alice` and `ALICE` in the directory are one user here and upstream.
   */
  private async remember(entry: DirectoryEntry): Promise<User | undefined> {
    const username = canonicalUsername(entry.username);
    const before = await this.store.findUser(username);
    const saved = await this.store.saveDirectoryUser({
      username,
      dn: entry.dn,
      groups: entry.groups,
      enabled: entry.enabled,
      syncedAt: this.clock.nowSeconds(),
    });
    if (!saved) return undefined;
    if (before?.enabled && !entry.enabled) await this.endTokens(username, 'disabled_user');
    return this.store.findUser(username);
  }

  /** The directory says the user is gone or disabled: so is the copy, and the user's tokens end. */
  private async disable(user: User, reason: LoginFailure): Promise<void> {
    if (!user.enabled) return;
    await this.store.saveDirectoryUser({ username: user.username, dn: user.directory!.dn, groups: user.groups, enabled: false, syncedAt: this.clock.nowSeconds() });
    await this.endTokens(user.username, reason);
  }

  private async endTokens(username: string, reason: LoginFailure): Promise<void> {
    const revoked = await this.store.revokeFamiliesOf({ username }, this.clock.nowSeconds());
    // Everything the account's credentials opened ends, as when a local user is disabled (src/manage/users.ts).
    await this.store.deleteAuthorizationCodesOf(username);
    await this.store.deleteMfaChallengesOf(username);
    await this.store.deleteAdminSessionsOf(username);
    await this.store.deleteLoginSessionsOf(username);
    await auditChange(this.store, this.clock, { type: 'user.disabled', username, reason, detail: { via: 'directory', revoked_grants: revoked } });
  }
}

/** The 503 a directory that does not answer gives (docs/errors.md, `temporarily_unavailable`). */
export function asUnavailable(error: unknown): unknown {
  if (!(error instanceof DirectoryUnavailable)) return error;
  return new TemporarilyUnavailable('the user directory is not answering; try again later', { retryAfterSeconds: DIRECTORY_RETRY_AFTER, cause: error });
}

function conflictMessage(usernames: string[]): string {
  return (
    `directory.user_filter matches the local user${usernames.length > 1 ? 's' : ''} ${usernames.join(', ')}: ` +
    'a local and a directory user may not share a name (narrow directory.user_filter, or rename or delete the local user)'
  );
}
