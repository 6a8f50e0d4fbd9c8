import { randomUUID } from 'node:crypto';
import { InvalidTarget } from '../core/errors.ts';
import type { Authentication, Client, GrantType, Settings, TokenKind, TokenRecord } from '../core/model.ts';
import { formatScope } from '../core/scope.ts';
import { generateSecret, hashSecret } from '../core/secrets.ts';
import type { AuthzContext } from './context.ts';
import { withIdToken } from './id-token.ts';
import { jwtAccessTokenLifetime } from './key-ring.ts';
import { AMR } from './second-factor.ts';
import type { TokenResponse } from './token-response.ts';

/**
 * Access-token lifetime in seconds for this client, or `null` for never (README "Concepts"). A `jwt`
 * client that follows the global setting gets 5 minutes: a JWT is accepted offline until it expires
 * (docs/tokens.md).
 */
export function accessTokenLifetime(client: Client, settings: Settings): number | null {
  if (client.tokenFormat === 'jwt') return jwtAccessTokenLifetime(client);
  const ttl = client.accessTokenTtl === 'global' ? settings.accessTokenTtl : client.accessTokenTtl;
  return ttl === 'never' ? null : ttl;
}

/** A refresh token goes with the grant only if the client may refresh at all. */
export function issuesRefreshToken(client: Client): boolean {
  return client.grants.includes('refresh_token') && client.refreshLimit !== 0;
}

/**
 * The `aud` of a JWT access token: the `resource` asked for (RFC 8707 §2) when it is the default
 * audience or one of the `audiences` setting, else the default audience (the issuer unless set).
 */
export function resolveAudience(ctx: Pick<AuthzContext, 'issuer'>, settings: Settings, resource: string | undefined): string {
  const audience = settings.defaultAudience === '' ? ctx.issuer : settings.defaultAudience;
  if (resource === undefined || resource === audience) return audience;
  if (!settings.audiences.includes(resource)) throw new InvalidTarget('this resource is not an audience Portcullis issues tokens for');
  return resource;
}

export interface NewTokens {
  response: TokenResponse;
  records: TokenRecord[];
}

export interface GrantToMint {
  /** `null` for a grant that is its one access token: client credentials. */
  familyId: string | null;
  username: string | null;
  scope: string[];
  withRefresh: boolean;
  /** A refresh token keeps the scope of the one it replaces, even when the access token narrows it (RFC 6749 §6). */
  refreshScope?: string[];
  /** The `resource` parameter (RFC 8707), for a `jwt` client's audience. */
  resource?: string;
}

/**
 * Mints a new access token (and refresh token when asked) for a grant. Only the hashes go into
 * the records that are stored; the plain values exist only in the response. A `jwt` client's
 * access token is an RFC 9068 JWT signed by the current key, recorded like an opaque one by the
 * SHA-256 of the whole token (which holds its unique `jti`): introspection, revocation, family
 * revocation and account changes treat both formats the same.
 */
export async function mintTokens(ctx: AuthzContext, client: Client, settings: Settings, now: number, grant: GrantToMint): Promise<NewTokens> {
  const lifetime = accessTokenLifetime(client, settings);
  const accessToken =
    client.tokenFormat === 'jwt'
      ? await ctx.keys.sign(
          {
            iss: ctx.issuer,
            sub: grant.username ?? client.id,
            aud: resolveAudience(ctx, settings, grant.resource),
            exp: now + lifetime!,
            iat: now,
            jti: randomUUID(),
            client_id: client.id,
            scope: formatScope(grant.scope),
          },
          'at+jwt',
        )
      : generateSecret();
  // Each record written out as one literal: V8 builds `{ ...base, hash, … }` (a spread, then more
  // properties) on its slow path, about 2.7 µs a record.
  const record = (hash: string, kind: TokenKind, scope: string[], expiresAt: number | null): TokenRecord => ({
    hash,
    kind,
    familyId: grant.familyId,
    clientId: client.id,
    username: grant.username,
    scope,
    issuedAt: now,
    expiresAt,
    revokedAt: null,
    rotatedAt: null,
  });
  const records: TokenRecord[] = [record(hashSecret(accessToken), 'access', grant.scope, lifetime === null ? null : now + lifetime)];
  const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer' };
  if (lifetime !== null) response.expires_in = lifetime;
  if (grant.withRefresh) {
    const refreshToken = generateSecret();
    records.push(record(hashSecret(refreshToken), 'refresh', grant.refreshScope ?? grant.scope, now + client.refreshTokenTtl));
    response.refresh_token = refreshToken;
  }
  if (grant.scope.length > 0) response.scope = formatScope(grant.scope);
  return { response, records };
}

/**
 * Stores a new original grant (password or client credentials). A user's grant starts a token
 * family, which records how they signed in (`authentication`; a password alone, `amr: ["pwd"]`,
 * unless the caller says more, as a second factor does), and with the `openid` scope the response
 * carries an ID token. A client credentials grant is its one access token, stored alone: with no
 * refresh token and no user, a family would hold nothing that revocation, reuse detection or an
 * account change needs (docs/tokens.md).
 */
export async function issueNewGrant(
  ctx: AuthzContext,
  client: Client,
  grant: {
    username: string | null;
    scope: string[];
    withRefresh: boolean;
    /** The `resource` parameter (RFC 8707), for a `jwt` client's audience. */
    resource?: string;
    /** The grant, for the audit record, when it is not told by the owner: the MFA grants. */
    grantType?: GrantType;
    /** When and how the user signed in (OpenID Connect `auth_time`, RFC 8176 `amr`): the family's and its ID tokens'. */
    authentication?: Authentication;
  },
  ip: string | null = null,
): Promise<TokenResponse> {
  const { grantType, authentication: authenticated, ...minting } = grant;
  const now = ctx.clock.nowSeconds();
  const settings = await ctx.settings.get();
  if (grant.username === null && !grant.withRefresh) {
    const minted = await mintTokens(ctx, client, settings, now, { familyId: null, ...minting });
    await ctx.store.saveLoneToken(minted.records[0]!);
    ctx.audit.record({ at: now, type: 'token.issued', ip, clientId: client.id, username: null, detail: { grant_type: grantType ?? 'client_credentials' } });
    return minted.response;
  }
  const familyId = randomUUID();
  const minted = await mintTokens(ctx, client, settings, now, { familyId, ...minting });
  const authentication = grant.username === null ? null : (authenticated ?? { authTime: now, amr: [...AMR.password] });
  await ctx.store.saveFamily(
    {
      id: familyId,
      clientId: client.id,
      username: grant.username,
      scope: grant.scope,
      refreshCount: 0,
      createdAt: now,
      revokedAt: null,
      authentication,
    },
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
  return withIdToken(ctx, client, minted.response, { username: grant.username, scope: grant.scope, authentication });
}
