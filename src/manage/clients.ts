import { UserError } from '../core/errors.ts';
import {
  type AccessTokenTtl,
  type Client,
  type ClientType,
  CONSENT_MODES,
  type ConsentMode,
  DEFAULT_REFRESH_TOKEN_TTL,
  GRANT_TYPES,
  type GrantType, TOKEN_FORMATS, type TokenFormat } from '../core/model.ts';
import { redirectUriProblem } from '../core/redirect-uri.ts';
import { generateClientId, generateSecret, hashSecret } from '../core/secrets.ts';
import { type Clock, systemClock } from '../core/clock.ts';
import type { ClientPatch, Store } from '../store/store.ts';
import { auditChange } from './audit.ts';
import { translateStoreErrors } from './translate.ts';

/** Integration Server's rule for client names and versions: none of & ( ) \ ; , / " : ' < >. */
const FORBIDDEN_NAME_CHARS = /[&()\\;,/":'<>]/;

export interface ClientInput {
  name: string;
  version?: string;
  description?: string;
  type: ClientType;
  grants: string[];
  scopes?: string[];
  accessTokenTtl?: AccessTokenTtl;
  refreshLimit?: number | null;
  refreshTokenTtl?: number;
  enabled?: boolean;
  introspect?: boolean;
  trustedForEndUserAddress?: boolean;
  serviceUser?: string | null;
  redirectUris?: string[];
  consent?: string;
  tokenFormat?: string;
  /** Imported from another server; generated when absent. */
  clientId?: string;
  /** Imported secret (confidential only); generated when absent. */
  secret?: string;
}

export interface RegisteredClient {
  client: Client;
  /** The plain secret, returned this once and never stored. */
  secret: string | undefined;
}

function checkName(field: string, value: string, required: boolean): void {
  if (required && value.trim() === '') throw new UserError(`${field} is required`, 'invalid_request', field);
  if (FORBIDDEN_NAME_CHARS.test(value)) throw new UserError(`${field} must not contain & ( ) \\ ; , / " : ' < >`, 'invalid_request', field);
  if (value.length > 200) throw new UserError(`${field} is longer than 200 characters`, 'invalid_request', field);
}

export function parseGrants(grants: string[]): GrantType[] {
  for (const grant of grants) {
    if (!(GRANT_TYPES as readonly string[]).includes(grant)) {
      throw new UserError(`unknown grant ${grant} (expected one of ${GRANT_TYPES.join(', ')})`, 'invalid_request', 'grants');
    }
  }
  return [...new Set(grants)] as GrantType[];
}

/** `global`, `never`, or a positive number of seconds. */
export function parseAccessTtl(value: string | number): AccessTokenTtl {
  if (value === 'global' || value === 'never') return value;
  const seconds = Number(value);
  if (!Number.isInteger(seconds) || seconds <= 0) {
    throw new UserError('access-token lifetime must be global, never or a positive number of seconds', 'invalid_request', 'access_token_ttl');
  }
  return seconds;
}

export function parseCount(field: string, value: string | number, minimum: number): number {
  const count = Number(value);
  if (!Number.isInteger(count) || count < minimum) throw new UserError(`${field} must be an integer of at least ${minimum}`);
  return count;
}

const MAX_REDIRECT_URIS = 20;

/** Checks redirect URIs for registration (docs/oauth.md "Redirect URIs"); duplicates collapse, order is kept. */
export function parseRedirectUris(uris: string[]): string[] {
  const unique = [...new Set(uris)];
  if (unique.length > MAX_REDIRECT_URIS) throw new UserError(`at most ${MAX_REDIRECT_URIS} redirect URIs`, 'invalid_request', 'redirect_uris');
  for (const uri of unique) {
    const problem = redirectUriProblem(uri);
    if (problem !== undefined) throw new UserError(problem, 'invalid_request', 'redirect_uris');
  }
  return unique;
}

export function parseConsent(value: string): ConsentMode {
  if (!(CONSENT_MODES as readonly string[]).includes(value)) {
    throw new UserError(`consent must be one of ${CONSENT_MODES.join(', ')}`, 'invalid_request', 'consent');
  }
  return value as ConsentMode;
}

export function parseTokenFormat(value: string): TokenFormat {
  if (!(TOKEN_FORMATS as readonly string[]).includes(value)) {
    throw new UserError(`token format must be one of ${TOKEN_FORMATS.join(', ')}`, 'invalid_request', 'token_format');
  }
  return value as TokenFormat;
}

/** A JWT is accepted offline until its `exp`: it must have one (RFC 9068 §2.2). */
function checkLifetimeForFormat(format: TokenFormat, ttl: AccessTokenTtl): void {
  if (format === 'jwt' && ttl === 'never') {
    throw new UserError('JWT access tokens must expire: give the client an access-token lifetime', 'invalid_request', 'access_token_ttl');
  }
}

function checkGrantsForType(type: ClientType, grants: GrantType[]): void {
  if (type === 'public' && grants.includes('client_credentials')) {
    throw new UserError('a public client cannot use the client_credentials grant (it has no secret)', 'invalid_request', 'grants');
  }
}

/** The authorization code grant sends the user back to the client: it needs somewhere to send them. */
function checkRedirectUrisForGrants(grants: GrantType[], redirectUris: string[]): void {
  if (grants.includes('authorization_code') && redirectUris.length === 0) {
    throw new UserError('the authorization_code grant needs at least one redirect URI', 'invalid_request', 'redirect_uris');
  }
}

/** Registers a client (README "Concepts"): validates, generates id and secret, stores only the secret's hash. */
export async function registerClient(store: Store, clock: Clock, input: ClientInput): Promise<RegisteredClient> {
  const version = input.version ?? '';
  checkName('name', input.name, true);
  checkName('version', version, false);
  if (input.type !== 'confidential' && input.type !== 'public') throw new UserError('type must be confidential or public', 'invalid_request', 'type');
  const grants = parseGrants(input.grants);
  checkGrantsForType(input.type, grants);
  const redirectUris = parseRedirectUris(input.redirectUris ?? []);
  checkRedirectUrisForGrants(grants, redirectUris);
  const consent = parseConsent(input.consent ?? 'remember');
  const tokenFormat = parseTokenFormat(input.tokenFormat ?? 'opaque');
  checkLifetimeForFormat(tokenFormat, input.accessTokenTtl ?? 'global');
  if (input.type === 'public' && input.secret !== undefined) throw new UserError('a public client has no secret');
  if (input.secret !== undefined && input.secret.length < 16) throw new UserError('an imported secret must be at least 16 characters');
  if (input.clientId !== undefined && !/^[\x21-\x7e]{1,200}$/.test(input.clientId)) {
    throw new UserError('client_id must be 1 to 200 printable ASCII characters');
  }
  if (input.serviceUser && !(await store.findUser(input.serviceUser))) {
    throw new UserError(`service user ${input.serviceUser} does not exist`, 'invalid_request', 'service_user');
  }
  const secret = input.type === 'confidential' ? (input.secret ?? generateSecret()) : undefined;
  const client: Client = {
    id: input.clientId ?? generateClientId(),
    name: input.name,
    version,
    description: input.description ?? '',
    type: input.type,
    secretHash: secret === undefined ? null : hashSecret(secret),
    grants,
    scopes: [...new Set(input.scopes ?? [])].sort(),
    accessTokenTtl: input.accessTokenTtl ?? 'global',
    refreshLimit: input.refreshLimit === undefined ? null : input.refreshLimit,
    refreshTokenTtl: input.refreshTokenTtl ?? DEFAULT_REFRESH_TOKEN_TTL,
    enabled: input.enabled ?? true,
    introspect: input.introspect ?? false,
    trustedForEndUserAddress: input.trustedForEndUserAddress ?? false,
    serviceUser: input.serviceUser ?? null,
    redirectUris,
    consent,
    tokenFormat,
    createdAt: clock.nowSeconds(),
  };
  await translateStoreErrors(store.createClient(client));
  await auditChange(store, clock, { type: 'client.created', clientId: client.id, detail: { name: client.name, type: client.type } });
  return { client, secret: input.type === 'confidential' && input.secret === undefined ? secret : undefined };
}

export async function requireClient(store: Store, id: string): Promise<Client> {
  const client = await store.findClient(id);
  if (!client) throw new UserError(`no client ${id}`, 'not_found');
  return client;
}

/** Changes a client's settings. Disabling makes its tokens inactive until it is enabled again. */
export async function updateClient(store: Store, id: string, patch: ClientPatch, clock: Clock = systemClock): Promise<Client> {
  const current = await requireClient(store, id);
  if (patch.name !== undefined) checkName('name', patch.name, true);
  if (patch.version !== undefined) checkName('version', patch.version, false);
  if (patch.grants !== undefined) checkGrantsForType(current.type, patch.grants);
  if (patch.redirectUris !== undefined) patch = { ...patch, redirectUris: parseRedirectUris(patch.redirectUris) };
  if (patch.consent !== undefined) parseConsent(patch.consent);
  if (patch.tokenFormat !== undefined) parseTokenFormat(patch.tokenFormat);
  checkLifetimeForFormat(patch.tokenFormat ?? current.tokenFormat ?? 'opaque', patch.accessTokenTtl ?? current.accessTokenTtl);
  checkRedirectUrisForGrants(patch.grants ?? current.grants, patch.redirectUris ?? current.redirectUris);
  if (patch.serviceUser && !(await store.findUser(patch.serviceUser))) {
    throw new UserError(`service user ${patch.serviceUser} does not exist`, 'invalid_request', 'service_user');
  }
  await translateStoreErrors(store.updateClient(id, patch));
  const fields = Object.keys(patch).filter((field) => field !== 'enabled' && field !== 'secretHash');
  if (patch.enabled !== undefined && patch.enabled !== current.enabled) {
    await auditChange(store, clock, { type: patch.enabled ? 'client.enabled' : 'client.disabled', clientId: id });
  }
  if (fields.length > 0) await auditChange(store, clock, { type: 'client.updated', clientId: id, detail: { fields: fields.sort().join(' ') } });
  return requireClient(store, id);
}

/** Issues a new secret for a confidential client; the old one stops working at once. */
export async function rotateClientSecret(store: Store, id: string, clock: Clock = systemClock): Promise<string> {
  const client = await requireClient(store, id);
  if (client.type !== 'confidential') throw new UserError('a public client has no secret');
  const secret = generateSecret();
  await store.updateClient(id, { secretHash: hashSecret(secret) });
  await auditChange(store, clock, { type: 'client.secret_rotated', clientId: id });
  return secret;
}

/** Deletes a client and every token it holds. */
export async function deleteClient(store: Store, id: string, clock: Clock = systemClock): Promise<void> {
  if (!(await store.deleteClient(id))) throw new UserError(`no client ${id}`, 'not_found');
  await auditChange(store, clock, { type: 'client.deleted', clientId: id });
}

/** What the CLI and APIs show of a client: never the secret hash. */
export function describeClient(client: Client): Record<string, unknown> {
  return {
    client_id: client.id,
    name: client.name,
    version: client.version,
    description: client.description,
    type: client.type,
    grants: client.grants,
    scopes: client.scopes,
    access_token_ttl: client.accessTokenTtl,
    refresh_limit: client.refreshLimit,
    refresh_token_ttl: client.refreshTokenTtl,
    enabled: client.enabled,
    introspect: client.introspect,
    trusted_for_end_user_address: client.trustedForEndUserAddress,
    service_user: client.serviceUser,
    redirect_uris: client.redirectUris,
    consent: client.consent,
    token_format: client.tokenFormat ?? 'opaque',
    created_at: new Date(client.createdAt * 1000).toISOString(),
  };
}
