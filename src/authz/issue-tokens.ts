import { randomUUID } from 'node:crypto';
import type { Client, GrantType, Settings, TokenRecord } from '../core/model.ts';
import { formatScope } from '../core/scope.ts';
import { generateSecret, hashSecret } from '../core/secrets.ts';
import type { AuthzContext } from './context.ts';

/** The successful token response of RFC 6749 §5.1. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
}

/** Access-token lifetime in seconds for this client, or `null` for never (README "Concepts"). */
export function accessTokenLifetime(client: Client, settings: Settings): number | null {
  const ttl = client.accessTokenTtl === 'global' ? settings.accessTokenTtl : client.accessTokenTtl;
  return ttl === 'never' ? null : ttl;
}

/** A refresh token goes with the grant only if the client may refresh at all. */
export function issuesRefreshToken(client: Client): boolean {
  return client.grants.includes('refresh_token') && client.refreshLimit !== 0;
}

export interface NewTokens {
  response: TokenResponse;
  records: TokenRecord[];
}

/**
 * Mints a new access token (and refresh token when asked) for a grant. Only the hashes go into
 * the records that are stored; the plain values exist only in the response.
 */
export function mintTokens(
  client: Client,
  settings: Settings,
  now: number,
  grant: {
    familyId: string;
    username: string | null;
    scope: string[];
    withRefresh: boolean;
    /** A refresh token keeps the scope of the one it replaces, even when the access token narrows it (RFC 6749 §6). */
    refreshScope?: string[];
  },
): NewTokens {
  const lifetime = accessTokenLifetime(client, settings);
  const accessToken = generateSecret();
  const base = {
    familyId: grant.familyId,
    clientId: client.id,
    username: grant.username,
    scope: grant.scope,
    issuedAt: now,
    revokedAt: null,
    rotatedAt: null,
  };
  const records: TokenRecord[] = [
    { ...base, hash: hashSecret(accessToken), kind: 'access', expiresAt: lifetime === null ? null : now + lifetime },
  ];
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer' };
  if (lifetime !== null) response.expires_in = lifetime;
  if (grant.withRefresh) {
    const refreshToken = generateSecret();
    records.push({
      ...base,
      hash: hashSecret(refreshToken),
      kind: 'refresh',
      scope: grant.refreshScope ?? grant.scope,
      expiresAt: now + client.refreshTokenTtl,
    });
    response.refresh_token = refreshToken;
  }
  if (grant.scope.length > 0) response.scope = formatScope(grant.scope);
  return { response, records };
}

/** Starts a new token family for an original grant (password or client credentials) and stores it. */
export async function issueNewGrant(
  ctx: AuthzContext,
  client: Client,
  grant: {
    username: string | null;
    scope: string[];
    withRefresh: boolean;
    /** The grant, for the audit record, when it is not told by the owner: the MFA grants. */
    grantType?: GrantType;
    /** When and how the user signed in (RFC 8176 `amr`), for ID tokens. */
    authentication?: { authTime: number; amr: string[] };
  },
  ip: string | null = null,
): Promise<TokenResponse> {
  const { grantType, authentication: _authentication, ...minting } = grant;
  const now = ctx.clock.nowSeconds();
  const familyId = randomUUID();
  const minted = mintTokens(client, await ctx.settings.get(), now, { familyId, ...minting });
  await ctx.store.saveFamily(
    { id: familyId, clientId: client.id, username: grant.username, scope: grant.scope, refreshCount: 0, createdAt: now, revokedAt: null },
    minted.records,
  );
  ctx.audit.record({
    at: now,
    type: 'token.issued',
    ip,
    clientId: client.id,
    username: grant.username,
    detail: { grant_type: grantType ?? (grant.username === null ? 'client_credentials' : 'password'), family: familyId },
  });
  return minted.response;
}
