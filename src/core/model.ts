/** The domain records of README "Concepts", as the core sees them (camelCase; the wire uses snake_case). */

/** The second step of a password login that answered `mfa_required` (docs/mfa.md). */
export const MFA_OTP = 'urn:portcullis:params:oauth:grant-type:mfa-otp';
export const MFA_RECOVERY_CODE = 'urn:portcullis:params:oauth:grant-type:mfa-recovery-code';

export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials', 'authorization_code', MFA_OTP, MFA_RECOVERY_CODE] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export type ClientType = 'confidential' | 'public';

/** How a client's access tokens look (docs/tokens.md): opaque random strings, or RFC 9068 JWTs. */
export const TOKEN_FORMATS = ['opaque', 'jwt'] as const;
export type TokenFormat = (typeof TOKEN_FORMATS)[number];

/**
 * When the approval page asks the user (docs/oauth.md "Consent"): `always`, every time; `remember`,
 * until the user has approved the scopes asked for; `skip`, never (a first-party client).
 */
export const CONSENT_MODES = ['always', 'remember', 'skip'] as const;
export type ConsentMode = (typeof CONSENT_MODES)[number];

/** `global` follows the server-wide setting; `never` issues non-expiring access tokens. */
export type AccessTokenTtl = 'global' | 'never' | number;

export interface Client {
  id: string;
  name: string;
  version: string;
  description: string;
  type: ClientType;
  /** SHA-256 of the secret (confidential clients); never the secret itself. */
  secretHash: string | null;
  grants: GrantType[];
  scopes: string[];
  accessTokenTtl: AccessTokenTtl;
  /** Refreshes allowed per token family; `null` is unlimited, 0 means no refresh token. */
  refreshLimit: number | null;
  /** Seconds a refresh token lives. */
  refreshTokenTtl: number;
  enabled: boolean;
  /** May introspect any client's tokens (a resource server). */
  introspect: boolean;
  /**
   * A backend trusted to pass its end user's address (`end_user_ip`) with a password grant, which
   * the throttle and the audit then use instead of the backend's own (docs/security.md).
   */
  trustedForEndUserAddress: boolean;
  /** Username whose ACL rights a `client_credentials` token carries. */
  serviceUser: string | null;
  /** Where the authorization endpoint may send the user back (exact strings; RFC 6749 §3.1.2). */
  redirectUris: string[];
  consent: ConsentMode;
  /** Absent means `opaque`. */
  tokenFormat?: TokenFormat;
  createdAt: number;
}

export interface User {
  username: string;
  /** argon2id (or an imported hash) for a local user; `''` for a directory user, whose password is never stored. */
  passwordHash: string;
  groups: string[];
  enabled: boolean;
  createdAt: number;
  /** Optional profile claims (OpenID Connect Core §5.1), shown by userinfo; `null` when unset. */
  name?: string | null;
  email?: string | null;
  /**
   * Present for a user of an LDAP or Active Directory server (docs/directory.md): a read-only copy
   * of what the directory said at the last login or refresh. Absent for a local user.
   */
  directory?: DirectoryLink;
}

/** Where a directory user's copy came from, and when. */
export interface DirectoryLink {
  /** The user's entry. */
  dn: string;
  /** When groups and the enabled flag were last read from the directory (seconds since the epoch). */
  syncedAt: number;
}

/** What the directory said of a user, as the store keeps it (docs/directory.md). */
export interface DirectoryUserRecord {
  username: string;
  dn: string;
  /** Portcullis groups (already mapped); those that do not exist here are left out. */
  groups: string[];
  enabled: boolean;
  syncedAt: number;
}

export interface Scope {
  name: string;
  description: string;
  resources: string[];
  /** Listed in the metadata's `scopes_supported` (RFC 8414 §2); a scope is private unless marked. */
  public?: boolean;
}

/**
 * Who must give a second factor after a correct password (docs/mfa.md): nobody (`off`), users who
 * enrolled (`optional`), or, under `required`, every user of the named groups and every login through
 * the named clients (everybody when both lists are empty), enrolled users elsewhere as under `optional`.
 */
export const MFA_POLICIES = ['off', 'optional', 'required'] as const;
export type MfaPolicy = (typeof MFA_POLICIES)[number];

export interface Settings {
  /** Default access-token lifetime in seconds, or `never`. */
  accessTokenTtl: number | 'never';
  /** Refuse plain HTTP at the OAuth endpoints (loopback counts as secure). */
  requireHttps: boolean;
  /** Seconds an authorization code lives, 1–600 (RFC 6749 §4.1.2 recommends at most 600). */
  authorizationCodeTtl: number;
  /** PKCE for confidential clients too (public clients always need it). */
  requirePkce: boolean;
  /** A login session ends after this many seconds unused… */
  loginSessionIdleTtl: number;
  /** …and this many seconds after the sign-in, however busy. */
  loginSessionMaxTtl: number;
  /** The sign-in and approval pages' title, logo (an https URL, or empty), heading and footer. */
  approvalPageTitle: string;
  approvalPageLogoUrl: string;
  approvalPageHeading: string;
  approvalPageFooter: string;
  /** The shortest password an administrator or user may set (docs/security.md#passwords-set-through-portcullis). */
  passwordMinLength: number;
  /** The MFA policy and, for `required`, the groups and client ids it names. */
  mfaPolicy: MfaPolicy;
  mfaRequiredGroups: string[];
  mfaRequiredClients: string[];
  /** The algorithm of signing keys made from now on (docs/tokens.md). */
  signingKeyAlgorithm: SigningAlgorithm;
  /** Seconds a new signing key is published in the JWKS before it signs. */
  signingKeyPublishDelay: number;
  /** Days between automatic key rotations; 0 rotates only when asked (`portcullis keys rotate`). */
  signingKeyRotationDays: number;
  /** The `aud` of JWT access tokens when no `resource` is asked for; empty for the issuer. */
  defaultAudience: string;
  /** Resource indicators (RFC 8707) a client may ask for as the `aud` of its JWT access tokens. */
  audiences: string[];
}

export const DEFAULT_SETTINGS: Settings = {
  accessTokenTtl: 3600,
  requireHttps: true,
  authorizationCodeTtl: 60,
  requirePkce: false,
  loginSessionIdleTtl: 1800,
  loginSessionMaxTtl: 36_000,
  approvalPageTitle: 'Portcullis',
  approvalPageLogoUrl: '',
  approvalPageHeading: 'Allow access?',
  approvalPageFooter: '',
  passwordMinLength: 8,
  mfaPolicy: 'off',
  mfaRequiredGroups: [],
  mfaRequiredClients: [],
  signingKeyAlgorithm: 'ES256',
  signingKeyPublishDelay: 600,
  signingKeyRotationDays: 0,
  defaultAudience: '',
  audiences: [],
};

/** Signing key algorithms (RFC 7518 §3.1; RFC 8037 for EdDSA with Ed25519). */
export const SIGNING_ALGORITHMS = ['ES256', 'RS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * A key that signs JWT access tokens and ID tokens (docs/tokens.md "Signing keys"). The private JWK
 * is stored only sealed under the server key. Its state follows from the times: `next` until
 * `activatesAt`, then `current` until a later generation activates, then `retired`.
 */
export interface SigningKeyRecord {
  kid: string;
  generation: number;
  alg: SigningAlgorithm;
  /** The public JWK, as published. */
  publicJwk: Record<string, unknown>;
  /** The private JWK, sealed (src/core/secret-box.ts) for the context `signing-key:<kid>`. */
  privateSealed: string;
  createdAt: number;
  activatesAt: number;
  /** Seconds the key before this one stays published once this one activates: the longest lifetime of a token it signed. */
  retainPrevious: number;
}

/** The longest `authorizationCodeTtl` allowed (RFC 6749 §4.1.2: "a maximum authorization code lifetime of 10 minutes is RECOMMENDED"). */
export const MAX_AUTHORIZATION_CODE_TTL = 600;

export const DEFAULT_REFRESH_TOKEN_TTL = 30 * 24 * 3600;

export const ADMIN_GROUP = 'Administrators';
export const ADMIN_USER = 'Administrator';

export type TokenKind = 'access' | 'refresh';

/** One grant and everything issued from it: revoking the family ends all of them. */
export interface TokenFamily {
  id: string;
  clientId: string;
  /** The resource owner; `null` for `client_credentials`. */
  username: string | null;
  /** The scope granted originally; a refresh may narrow it, never widen it. */
  scope: string[];
  refreshCount: number;
  createdAt: number;
  revokedAt: number | null;
  /** How and when the user signed in for this grant (OpenID Connect `auth_time`, RFC 8176 `amr`); `null` without a user. */
  authentication?: Authentication | null;
}

/** When and how a user proved who they are: the `auth_time` and `amr` of an ID token. */
export interface Authentication {
  authTime: number;
  amr: string[];
}

export interface TokenRecord {
  hash: string;
  kind: TokenKind;
  /** The grant's family; `null` for a client credentials token, which is a grant of its own (docs/tokens.md). */
  familyId: string | null;
  clientId: string;
  username: string | null;
  scope: string[];
  issuedAt: number;
  /** `null` never expires. */
  expiresAt: number | null;
  revokedAt: number | null;
  /** Refresh tokens only: when it was exchanged for a new one. */
  rotatedAt: number | null;
}

/** A token together with the state that decides whether it is live. */
export interface TokenView extends TokenRecord {
  familyRevokedAt: number | null;
  /** How the grant's user signed in (its family's, for the ID token of a refresh); `null` when unknown or without a user. */
  familyAuthentication: Authentication | null;
  clientEnabled: boolean;
  /** `null` when the token has no resource owner. */
  userEnabled: boolean | null;
}

export type TokenState = 'active' | 'expired' | 'revoked' | 'rotated';

/**
 * A signed-in administrator's console session. `idHash` is the SHA-256 of the session id in the
 * cookie; the id itself is never stored. Live while `now < expiresAt` (absolute) and the session
 * was used within the idle limit.
 */
export interface AdminSession {
  idHash: string;
  username: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
}

/**
 * A user's browser session at the authorization server, after a sign-in at the authorization
 * endpoint (docs/oauth.md "Login sessions"). `idHash` is the SHA-256 of the id in the cookie. Live
 * while `now < expiresAt` (absolute) and used within the idle limit (a setting).
 */
export interface LoginSession {
  idHash: string;
  username: string;
  /** When the user signed in (OpenID Connect's `auth_time`); also when the session began. */
  authTime: number;
  /** How the user proved who they are (RFC 8176 values: `pwd`, and `otp` once a second factor exists). */
  amr: string[];
  lastSeenAt: number;
  expiresAt: number;
  /** The address the sign-in came from, for the admin's list. */
  ip: string | null;
}

/** The scopes a user approved for a client, remembered (docs/oauth.md "Consent"). */
export interface Consent {
  username: string;
  clientId: string;
  scope: string[];
  grantedAt: number;
}

/**
 * An authorization code (RFC 6749 §4.1.2) as stored: only the SHA-256 of the code, and everything
 * it is bound to. Single use: `usedAt` is set atomically by the redemption that wins, which also
 * records the token family it started, so that a replay can revoke it.
 */
export interface AuthorizationCode {
  hash: string;
  clientId: string;
  username: string;
  /** The redirect URI the code was sent to. */
  redirectUri: string;
  /** Whether the authorization request named it (then the token request must too: RFC 6749 §4.1.3). */
  redirectUriGiven: boolean;
  scope: string[];
  /** The PKCE S256 challenge (RFC 7636 §4.2), or `null` when the request had none. */
  codeChallenge: string | null;
  /** OpenID Connect's `nonce`, for the ID token. */
  nonce: string | null;
  authTime: number;
  amr: string[];
  issuedAt: number;
  expiresAt: number;
  usedAt: number | null;
  /** The token family the redemption started. */
  familyId: string | null;
}

/**
 * A protected resource `folder.sub:name` (README "Concepts"), served by an upstream HTTP target.
 * Reachable at `/invoke/folder.sub/name` and at each of its URL templates.
 */
export interface Service {
  name: string;
  /** Absolute http(s) URL the gateway proxies to. */
  upstream: string;
  /** HTTP methods accepted at `/invoke/…`; empty means any. */
  methods: string[];
  /** URL templates mapped to this service, such as `GET /rest/orders/{id}`. */
  templates: string[];
  /** Calls in flight to it at once through one gateway instance; absent: the instance's default. */
  maxConcurrent?: number;
  /** Milliseconds to wait for its response headers; absent: `resource_server.upstream_timeout_ms`. */
  timeoutMs?: number;
  /** JWT access tokens are checked at the store or by introspection on every call too (instant revocation). */
  introspectAlways?: boolean;
  createdAt: number;
}

/** Allowed and denied groups (deny wins) on a folder (`orders.v1`) or a service (`orders.v1:get`). */
export interface Acl {
  resource: string;
  allow: string[];
  deny: string[];
}

/**
 * A brute-force block or delay, recorded when it starts (docs/security.md): `user_ip` blocks one
 * (username, address) pair, `ip` one address, `user` is the growing delay on a username. Usernames
 * are lower-cased as the throttle counts them; times are seconds since the epoch.
 */
export interface ThrottleBlock {
  counter: 'user_ip' | 'ip' | 'user';
  username: string | null;
  ip: string | null;
  since: number;
  until: number;
}

/**
 * A user's TOTP factor (RFC 6238) as stored: the secret sealed under the server key, whether a first
 * correct code confirmed it, the last time step accepted (a code is accepted once) and how many
 * recovery codes are left.
 */
export interface MfaFactor {
  username: string;
  secretSealed: string;
  createdAt: number;
  confirmedAt: number | null;
  lastStep: number;
  recoveryCodesLeft: number;
}

/**
 * What a correct password leads to when the policy asks for a second factor: the `mfa_token` of the
 * password grant, or the sign-in page's pending step. Only the token's SHA-256 is stored.
 */
export interface MfaChallenge {
  hash: string;
  clientId: string;
  username: string;
  /** The scope the password request settled on: the tokens get it. */
  scope: string[];
  createdAt: number;
  expiresAt: number;
  attempts: number;
  usedAt: number | null;
}
