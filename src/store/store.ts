import type {
  AdminSession,
  Acl,
  AuthorizationCode,
  Client,
  ConsentMode,
  Consent,
  LoginSession,
  GrantType,
  AccessTokenTtl,
  Scope,
  Service,
  Settings,
  TokenFamily,
  TokenFormat,
  SigningKeyRecord,
  TokenRecord,
  TokenState,
  TokenView,
  ThrottleBlock,
  User,
  DirectoryUserRecord,
  MfaChallenge,
  MfaFactor,
} from '../core/model.ts';
import type { AuditEvent, AuditRecord } from '../core/audit.ts';
import type { Counters } from './counters.ts';

export interface ClientPatch {
  name?: string;
  version?: string;
  description?: string;
  secretHash?: string | null;
  grants?: GrantType[];
  scopes?: string[];
  accessTokenTtl?: AccessTokenTtl;
  refreshLimit?: number | null;
  refreshTokenTtl?: number;
  enabled?: boolean;
  introspect?: boolean;
  trustedForEndUserAddress?: boolean;
  serviceUser?: string | null;
  redirectUris?: string[];
  consent?: ConsentMode;
  tokenFormat?: TokenFormat;
}

export interface UserPatch {
  passwordHash?: string;
  enabled?: boolean;
  groups?: string[];
  /** `null` clears the claim. */
  name?: string | null;
  email?: string | null;
}

export interface TokenFilter {
  clientId?: string;
  username?: string;
  state?: TokenState;
  limit?: number;
}

export interface RotateRequest {
  presentedHash: string;
  now: number;
  /** Refreshes allowed per family; `null` is unlimited. */
  refreshLimit: number | null;
  /** The narrowed scope the new tokens carry. */
  newTokens: TokenRecord[];
  /**
   * Refresh-reuse leeway in seconds (0 or absent: strict). When the presented token was already
   * rotated within this many seconds, and the token that replaced it is still unused, that
   * replacement is rotated instead (single winner, as always). Never reaches further back.
   */
  reuseLeewaySeconds?: number;
}

export interface AuditQuery {
  limit: number;
  /** Only records with an id below this one (paging backwards). */
  beforeId?: number;
  /** Only records of this event type. */
  type?: string;
  /** Only records about this username (as recorded). */
  username?: string;
  /** Only records about this client id. */
  clientId?: string;
}

/**
 * Why a rotation did or did not happen. `already_rotated` means the presented refresh token was
 * exchanged before (a replay, or the loser of a race); what to do about it is the core's decision.
 */
export type RotateOutcome = 'rotated' | 'already_rotated' | 'not_live' | 'limit_reached';

export interface RedeemRequest {
  /** SHA-256 of the presented code. */
  hash: string;
  now: number;
  /** The grant the code starts, and its first tokens. */
  family: TokenFamily;
  tokens: TokenRecord[];
}

/**
 * Why a redemption did or did not happen. `already_used` means the code was spent before (a
 * replay, or the loser of a race); what to do about it is the core's decision.
 */
export type RedeemOutcome = 'redeemed' | 'already_used' | 'not_live';

/** Raised by a store when a unique name is taken. */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** Raised by a store when a referenced record (group, scope, user) does not exist. */
export class MissingReferenceError extends Error {
  override name = 'MissingReferenceError';
}

/**
 * The storage seam, sliced by consumer (as fosite does): a feature depends on the slice it uses.
 * Domain-shaped and narrow: every method is one thing the server does. Single-use operations
 * are atomic in the database. Security decisions (secret comparison, expiry policy, what to
 * revoke on reuse) stay in the core.
 */
export interface SettingsStore {
  getSettings(): Promise<Settings>;
  updateSettings(patch: Partial<Settings>): Promise<Settings>;
  /**
   * Records `check` (the server key's fingerprint) unless one is recorded already, and returns the
   * recorded one: the first instance to start decides, and every other must match it.
   */
  claimServerKeyCheck(check: string): Promise<string>;
  /** The recorded server key fingerprint; `undefined` before the first start. */
  serverKeyCheck(): Promise<string | undefined>;
}

/** Groups, users and their password hashes. */
export interface AccountStore {
  createGroup(name: string): Promise<void>;
  listGroups(): Promise<string[]>;
  deleteGroup(name: string): Promise<boolean>;

  createUser(user: User): Promise<void>;
  findUser(username: string): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  updateUser(username: string, patch: UserPatch): Promise<boolean>;
  deleteUser(username: string): Promise<boolean>;
  countGroupMembers(group: string): Promise<number>;

  /**
   * Creates or refreshes the copy of a directory user (docs/directory.md): DN, enabled flag and
   * groups, the groups that do not exist here left out. Never touches a local user of the same
   * name: returns false then, true when it wrote.
   */
  saveDirectoryUser(user: DirectoryUserRecord): Promise<boolean>;

  /**
   * Replaces a user's password hash only if it is still `expected` (an upgrade on login must not
   * overwrite a password changed meanwhile). Returns whether it did.
   */
  replacePasswordHash(username: string, expected: string, next: string): Promise<boolean>;

  /**
   * Usernames that are one name in canonical form (src/core/username.ts), created before names
   * were compared that way: each group at least two spellings. `portcullis migrate` reports them.
   */
  usernameCollisions(): Promise<string[][]>;
}

/** Clients and the scopes they may be granted. */
export interface ClientStore {
  saveScope(scope: Scope): Promise<void>;
  findScope(name: string): Promise<Scope | undefined>;
  listScopes(): Promise<Scope[]>;
  deleteScope(name: string): Promise<boolean>;

  createClient(client: Client): Promise<void>;
  findClient(id: string): Promise<Client | undefined>;
  findClientByName(name: string, version: string): Promise<Client | undefined>;
  listClients(): Promise<Client[]>;
  updateClient(id: string, patch: ClientPatch): Promise<boolean>;
  /** Deletes the client with all its token families. */
  deleteClient(id: string): Promise<boolean>;
}

/** Token families and their access and refresh tokens (stored by hash only). */
export interface TokenStore {
  /** Starts a token family with its first tokens, in one transaction. */
  saveFamily(family: TokenFamily, tokens: TokenRecord[]): Promise<void>;
  /** Stores a token that is a grant of its own, in no family: a client credentials access token (docs/tokens.md). */
  saveLoneToken(token: TokenRecord): Promise<void>;
  /**
   * The token's view, or `undefined` when no such token is stored. A token the purge deleted
   * (expired or revoked: its view can no longer change) may still be answered, as it was, from a
   * read cache that held it (src/store/read-caches.ts): expired or revoked, never live.
   */
  findToken(hash: string): Promise<TokenView | undefined>;
  findFamily(id: string): Promise<TokenFamily | undefined>;
  /**
   * Marks the presented refresh token rotated, counts one refresh against the family's limit,
   * and stores the new tokens, atomically: of two racing calls with one token, one wins.
   */
  rotateRefreshToken(request: RotateRequest): Promise<RotateOutcome>;
  revokeFamily(familyId: string, now: number): Promise<boolean>;
  /** Revokes the grant a token belongs to: its whole family, or the token alone when it has none; false when it was revoked already. */
  revokeGrant(token: Pick<TokenRecord, 'hash' | 'familyId'>, now: number): Promise<boolean>;
  /**
   * Revokes every live grant of a resource owner, of a client (its lone client credentials tokens
   * too), or of one owner at one client; returns how many.
   */
  revokeFamiliesOf(owner: { username: string; clientId?: string } | { clientId: string }, now: number): Promise<number>;
  listTokens(filter: TokenFilter, now: number): Promise<TokenView[]>;
  /** Deletes up to `batchSize` expired or revoked tokens, and the families left empty; returns how many tokens went. */
  purgeExpired(now: number, batchSize: number): Promise<number>;
}

/** Admin console sessions (only the hash of a session id is stored). */
export interface SessionStore {
  createAdminSession(session: AdminSession): Promise<void>;
  findAdminSession(idHash: string): Promise<AdminSession | undefined>;
  /** Records use of a session (sliding idle expiry). */
  touchAdminSession(idHash: string, lastSeenAt: number): Promise<void>;
  deleteAdminSession(idHash: string): Promise<boolean>;
  /** Ends every session of one administrator; returns how many. */
  deleteAdminSessionsOf(username: string): Promise<number>;
  /** Deletes sessions past their absolute expiry or idle since before `idleBefore`; returns how many. */
  purgeAdminSessions(now: number, idleBefore: number): Promise<number>;
}

/** Authorization codes (stored by hash only), for the authorization endpoint and the code grant. */
export interface AuthorizationCodeStore {
  saveAuthorizationCode(code: AuthorizationCode): Promise<void>;
  findAuthorizationCode(hash: string): Promise<AuthorizationCode | undefined>;
  /**
   * Spends a live, unused code and starts the token family of its grant, atomically: of two racing
   * calls with one code, one wins; the code remembers the family so that a replay can revoke it.
   */
  redeemAuthorizationCode(request: RedeemRequest): Promise<RedeemOutcome>;
  /** Deletes a user's codes (a password change or a disabled account); returns how many. */
  deleteAuthorizationCodesOf(username: string): Promise<number>;
  /** Deletes up to `batchSize` codes that expired at or before `before`; returns how many. */
  purgeAuthorizationCodes(before: number, batchSize: number): Promise<number>;
}

/** Users' login sessions at the authorization endpoint (only the hash of a session id is stored). */
export interface LoginSessionStore {
  createLoginSession(session: LoginSession): Promise<void>;
  findLoginSession(idHash: string): Promise<LoginSession | undefined>;
  /** Records use of a session (sliding idle expiry); never moves it back. */
  touchLoginSession(idHash: string, lastSeenAt: number): Promise<void>;
  deleteLoginSession(idHash: string): Promise<boolean>;
  /** Ends every login session of one user; returns how many. */
  deleteLoginSessionsOf(username: string): Promise<number>;
  /** A user's sessions, newest sign-in first. */
  listLoginSessions(username: string): Promise<LoginSession[]>;
  /** Deletes sessions past their absolute expiry or idle since before `idleBefore`; returns how many. */
  purgeLoginSessions(now: number, idleBefore: number): Promise<number>;
}

/** Remembered consent: the scopes a user approved for a client. */
export interface ConsentStore {
  findConsent(username: string, clientId: string): Promise<Consent | undefined>;
  /** Creates or replaces the consent of one user for one client. */
  saveConsent(consent: Consent): Promise<void>;
  /** One user's consents, or one client's, ordered by client id or username. */
  listConsents(of: { username: string } | { clientId: string }): Promise<Consent[]>;
  deleteConsent(username: string, clientId: string): Promise<boolean>;
}

export interface AuditStore {
  /** Appends security events, in one transaction. */
  appendAudit(events: AuditEvent[]): Promise<void>;
  /** The newest audit records first. */
  listAudit(query: AuditQuery): Promise<AuditRecord[]>;
  /**
   * Retention (docs/security.md#audit-log): deletes up to `limit` of the oldest records that are
   * older than `before` (seconds; `null`: no age limit) or not among the newest `keep` (`null`: no
   * size limit). Returns how many it deleted.
   */
  pruneAudit(retention: { before: number | null; keep: number | null }, limit: number): Promise<number>;
}

/** What the gateway routes and authorizes by: services and ACLs. */
export interface CatalogStore {
  /** Creates or replaces a service. */
  saveService(service: Service): Promise<void>;
  findService(name: string): Promise<Service | undefined>;
  listServices(): Promise<Service[]>;
  deleteService(name: string): Promise<boolean>;

  /** Creates or replaces the ACL of a folder or service. */
  setAcl(acl: Acl): Promise<void>;
  listAcls(): Promise<Acl[]>;
  deleteAcl(resource: string): Promise<boolean>;
}

/** Keys that sign JWT access tokens and ID tokens (docs/tokens.md); their private halves arrive sealed. */
export interface SigningKeyStore {
  /** Every key, oldest generation first. */
  listSigningKeys(): Promise<SigningKeyRecord[]>;
  /**
   * Adds `key` if its generation is the next one (one more than the newest stored), atomically:
   * of several instances adding the same generation at once, exactly one wins. Returns whether it was added.
   */
  addSigningKey(key: SigningKeyRecord): Promise<boolean>;
  deleteSigningKey(kid: string): Promise<boolean>;
}

/** Brute-force defence: the counters, and the blocks recorded as they start. */
export interface ThrottleStore {
  /** Records a throttle block as it starts (replacing an earlier one of the same counter and subject); forgets long-ended ones. */
  recordThrottleBlock(block: ThrottleBlock): Promise<void>;
  /** Blocks still running at `now`, newest first; only those of one username or address when given. */
  listThrottleBlocks(query: { now: number; username?: string; ip?: string }): Promise<ThrottleBlock[]>;
  /** Forgets every block of one username or address (an unlock); returns how many. */
  deleteThrottleBlocks(subject: { username: string } | { ip: string }): Promise<number>;
  /**
   * Failure counters in this store's database, shared by every process that uses it (see
   * counters.ts). Call after `migrate()`; close them before the store. With `sweep` (the default)
   * a timer deletes expired counters; one process per host is enough.
   */
  throttleCounters(options?: { sweep: boolean }): Counters;
}

/** Second factors (docs/mfa.md): TOTP factors, recovery codes (hashes only) and MFA challenges (hashes only). */
export interface MfaStore {
  /** A user's factor with the count of unspent recovery codes, confirmed or not. */
  findMfaFactor(username: string): Promise<MfaFactor | undefined>;
  /**
   * Saves an enrolment with its recovery codes (replacing any earlier codes), atomically. An
   * unconfirmed factor is replaced; a confirmed one only with `replaceConfirmed`. Resolves with
   * whether it was saved.
   */
  saveMfaFactor(enrolment: {
    username: string;
    secretSealed: string;
    createdAt: number;
    confirmedAt: number | null;
    replaceConfirmed: boolean;
    recoveryCodeHashes: string[];
  }): Promise<boolean>;
  /**
   * Accepts a TOTP time step once: true only when `step` is later than the last accepted one (which it
   * then becomes, atomically: of two racing uses of one code, one wins). Confirms an enrolment.
   */
  useTotpStep(username: string, step: number, now: number): Promise<boolean>;
  /** Spends an unspent recovery code of a confirmed factor, atomically; false when there is none. */
  spendRecoveryCode(username: string, codeHash: string, now: number): Promise<boolean>;
  /** Removes a user's factor and its recovery codes (a reset). */
  deleteMfaFactor(username: string): Promise<boolean>;
  saveMfaChallenge(challenge: Omit<MfaChallenge, 'attempts' | 'usedAt'>): Promise<void>;
  findMfaChallenge(hash: string): Promise<MfaChallenge | undefined>;
  /** Counts one code guess against a live, unused challenge with fewer than `max` guesses; false when none is left. */
  countMfaAttempt(hash: string, now: number, max: number): Promise<boolean>;
  /** Spends a live challenge, once: of two racing redemptions, one wins. */
  consumeMfaChallenge(hash: string, now: number): Promise<boolean>;
  /** Deletes a user's challenges (a password change or a disabled account); returns how many. */
  deleteMfaChallengesOf(username: string): Promise<number>;
}

/** Every slice, and the store's lifecycle. */
export interface Store
  extends SettingsStore,
    AccountStore,
    ClientStore,
    TokenStore,
    SessionStore,
    AuthorizationCodeStore,
    LoginSessionStore,
    ConsentStore,
    AuditStore,
    CatalogStore,
    SigningKeyStore,
    ThrottleStore,
    MfaStore {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending numbered migrations; returns the versions applied now. */
  migrate(): Promise<number[]>;
  /** Whether a migration was ever applied: false for a database no Portcullis has used yet. */
  hasSchema(): Promise<boolean>;
  /** Throws when the database cannot be reached. */
  ping(): Promise<void>;
  /**
   * A request has been read: reads from now on must see every commit made before this moment,
   * by this process or any other. For stores that cache reads (SQLite); others need not implement it.
   */
  startRequest?(): void;
  /** The connection pool right now: open, idle, and requests waiting for one (for metrics); stores without a pool omit it. */
  poolStats?(): { total: number; idle: number; waiting: number };
  close(): Promise<void>;
}
