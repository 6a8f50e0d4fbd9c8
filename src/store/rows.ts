import type { AuditActor, AuditRecord } from '../core/audit.ts';
import type {
  AccessTokenTtl,
  Acl,
  AdminSession,
  AuthorizationCode,
  Client,
  Consent,
  GrantType,
  LoginSession,
  Scope,
  Service,
  SigningKeyRecord,
  ThrottleBlock,
  TokenFamily,
  TokenView,
  User,
} from '../core/model.ts';

/**
 * Result rows to domain records, for both stores: the schemas have the same columns. A row as
 * better-sqlite3 or `pg` returns it (the PostgreSQL store parses BIGINT columns to numbers).
 */
export type Row = Record<string, unknown>;

/** A boolean column: PostgreSQL's `boolean`, or SQLite's 0/1 integer. */
function flag(value: unknown): boolean {
  return value === true || value === 1;
}

function splitList(value: unknown): string[] {
  return typeof value === 'string' && value !== '' ? value.split(' ') : [];
}

function parseAccessTtl(value: string): AccessTokenTtl {
  return value === 'global' || value === 'never' ? value : Number(value);
}

export function toClient(row: Row): Client {
  return {
    id: row.id as string,
    name: row.name as string,
    version: row.version as string,
    description: row.description as string,
    type: row.type as Client['type'],
    secretHash: (row.secret_hash as string | null) ?? null,
    grants: splitList(row.grants) as GrantType[],
    scopes: splitList(row.scopes).sort(),
    accessTokenTtl: parseAccessTtl(row.access_ttl as string),
    refreshLimit: (row.refresh_limit as number | null) ?? null,
    refreshTokenTtl: row.refresh_ttl as number,
    enabled: flag(row.enabled),
    introspect: flag(row.introspect),
    trustedForEndUserAddress: flag(row.trusted_for_end_user_address),
    serviceUser: (row.service_user as string | null) ?? null,
    redirectUris: JSON.parse((row.redirect_uris as string | undefined) ?? '[]') as string[],
    consent: ((row.consent as string | undefined) ?? 'remember') as Client['consent'],
    tokenFormat: ((row.token_format as string | undefined) ?? 'opaque') as Client['tokenFormat'],
    createdAt: row.created_at as number,
  };
}

export function toUser(row: Row): User {
  const user: User = {
    username: row.username as string,
    passwordHash: row.password_hash as string,
    groups: splitList(row.groups).sort(),
    enabled: flag(row.enabled),
    createdAt: row.created_at as number,
  };
  // Profile claims only where set, as userinfo shows them.
  if (typeof row.name === 'string') user.name = row.name;
  if (typeof row.email === 'string') user.email = row.email;
  if (row.source === 'directory') user.directory = { dn: row.directory_dn as string, syncedAt: row.synced_at as number };
  return user;
}

export function toScope(row: Row): Scope {
  return {
    name: row.name as string,
    description: row.description as string,
    resources: JSON.parse(row.resources as string) as string[],
    public: flag(row.is_public),
  };
}

export function toFamily(row: Row): TokenFamily {
  return {
    id: row.id as string,
    clientId: row.client_id as string,
    username: (row.username as string | null) ?? null,
    scope: splitList(row.scope),
    refreshCount: row.refresh_count as number,
    createdAt: row.created_at as number,
    revokedAt: (row.revoked_at as number | null) ?? null,
    authentication: row.auth_time === null || row.auth_time === undefined ? null : { authTime: row.auth_time as number, amr: splitList(row.amr) },
  };
}

export function toTokenView(row: Row): TokenView {
  return {
    // Stored as the digest's 32 bytes (tokens.ts), handed out in base64url as hashSecret makes them.
    hash: (row.hash as Buffer).toString('base64url'),
    kind: row.kind as TokenView['kind'],
    familyId: (row.family_id as string | null) ?? null,
    clientId: row.client_id as string,
    username: (row.username as string | null) ?? null,
    scope: splitList(row.scope),
    issuedAt: row.issued_at as number,
    expiresAt: (row.expires_at as number | null) ?? null,
    revokedAt: (row.revoked_at as number | null) ?? null,
    rotatedAt: (row.rotated_at as number | null) ?? null,
    familyRevokedAt: (row.family_revoked_at as number | null) ?? null,
    familyAuthentication:
      row.family_auth_time === null || row.family_auth_time === undefined
        ? null
        : { authTime: row.family_auth_time as number, amr: splitList(row.family_amr) },
    clientEnabled: flag(row.client_enabled),
    userEnabled: row.user_enabled === null || row.user_enabled === undefined ? null : flag(row.user_enabled),
  };
}

export function toService(row: Row): Service {
  return {
    name: row.name as string,
    upstream: row.upstream as string,
    methods: splitList(row.methods),
    templates: JSON.parse(row.templates as string) as string[],
    ...(row.max_concurrent === null || row.max_concurrent === undefined ? {} : { maxConcurrent: row.max_concurrent as number }),
    ...(row.timeout_ms === null || row.timeout_ms === undefined ? {} : { timeoutMs: row.timeout_ms as number }),
    createdAt: row.created_at as number,
    ...(flag(row.introspect_always) ? { introspectAlways: true } : {}),
  };
}

export function toAcl(row: Row): Acl {
  // JSON, not space-separated: group names may contain spaces.
  return { resource: row.resource as string, allow: JSON.parse(row.allow as string) as string[], deny: JSON.parse(row.deny as string) as string[] };
}

export function toAdminSession(row: Row): AdminSession {
  return {
    idHash: row.id_hash as string,
    username: row.username as string,
    createdAt: row.created_at as number,
    lastSeenAt: row.last_seen_at as number,
    expiresAt: row.expires_at as number,
  };
}

export function toLoginSession(row: Row): LoginSession {
  return {
    idHash: row.id_hash as string,
    username: row.username as string,
    authTime: row.auth_time as number,
    amr: splitList(row.amr),
    lastSeenAt: row.last_seen_at as number,
    expiresAt: row.expires_at as number,
    ip: (row.ip as string | null) ?? null,
  };
}

export function toConsent(row: Row): Consent {
  return {
    username: row.username as string,
    clientId: row.client_id as string,
    scope: splitList(row.scope),
    grantedAt: row.granted_at as number,
  };
}

export function toAuthorizationCode(row: Row): AuthorizationCode {
  return {
    hash: row.hash as string,
    clientId: row.client_id as string,
    username: row.username as string,
    redirectUri: row.redirect_uri as string,
    redirectUriGiven: flag(row.redirect_uri_given),
    scope: splitList(row.scope),
    codeChallenge: (row.code_challenge as string | null) ?? null,
    nonce: (row.nonce as string | null) ?? null,
    authTime: row.auth_time as number,
    amr: splitList(row.amr),
    issuedAt: row.issued_at as number,
    expiresAt: row.expires_at as number,
    usedAt: (row.used_at as number | null) ?? null,
    familyId: (row.family_id as string | null) ?? null,
  };
}

/** An audit record; optional fields that were not recorded are left out, not null. */
export function toAuditRecord(row: Row): AuditRecord {
  const record: AuditRecord = { id: row.id as number, at: row.at as number, type: row.type as AuditRecord['type'] };
  for (const [field, column] of [['ip', 'ip'], ['clientId', 'client_id'], ['username', 'username'], ['reason', 'reason']] as const) {
    if (row[column] !== null) record[field] = row[column] as string;
  }
  if (row.detail !== null) record.detail = JSON.parse(row.detail as string) as AuditRecord['detail'];
  if (row.actor !== null && row.actor !== undefined) record.actor = { name: row.actor as string, via: row.actor_via as AuditActor['via'] };
  return record;
}

/** Throttle blocks store an absent username or address as '' (part of the primary key). */
export function toThrottleBlock(row: Row): ThrottleBlock {
  return {
    counter: row.counter as ThrottleBlock['counter'],
    username: row.username === '' ? null : (row.username as string),
    ip: row.ip === '' ? null : (row.ip as string),
    since: Number(row.since),
    until: Number(row.until),
  };
}

export function toSigningKey(row: Row): SigningKeyRecord {
  return {
    kid: row.kid as string,
    generation: row.generation as number,
    alg: row.alg as SigningKeyRecord['alg'],
    publicJwk: JSON.parse(row.public_jwk as string) as Record<string, unknown>,
    privateSealed: row.private_sealed as string,
    createdAt: row.created_at as number,
    activatesAt: row.activates_at as number,
    retainPrevious: row.retain_previous as number,
  };
}
