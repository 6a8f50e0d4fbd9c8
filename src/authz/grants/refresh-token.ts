import { InvalidGrant, InvalidScope } from '../../core/errors.ts';
import { isSubset, parseScopeParam } from '../../core/scope.ts';
import { hashSecret } from '../../core/secrets.ts';
import { isTokenLive } from '../../core/token-state.ts';
import type { TokenView } from '../../core/model.ts';
import type { AuthzContext } from '../context.ts';
import { OPENID_SCOPE, withIdToken } from '../id-token.ts';
import { mintTokens } from '../issue-tokens.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import type { Grant } from './grant.ts';

/**
 * A rotated token presented again is reuse (RFC 9700 §4.14.2): the family dies, and the event is
 * audited. The one exception is the optional leeway: the immediately previous token, within N
 * seconds, for a client that lost the answer to its refresh — and the store settles "immediately
 * previous" atomically.
 */
function withinLeeway(ctx: AuthzContext, token: TokenView, now: number): boolean {
  const leeway = ctx.refreshReuseLeeway ?? 0;
  return leeway > 0 && token.rotatedAt !== null && now - token.rotatedAt <= leeway && isTokenLive({ ...token, rotatedAt: null }, now);
}

async function reuseDetected(ctx: AuthzContext, request: OAuthRequest, token: TokenView, now: number): Promise<never> {
  await ctx.store.revokeGrant(token, now);
  ctx.audit.record({
    at: now,
    type: 'refresh.reuse_detected',
    ip: request.ip,
    clientId: token.clientId,
    username: token.username,
    detail: { family: token.familyId },
  });
  throw new InvalidGrant('invalid refresh token');
}

/**
 * Refresh Token grant with rotation and reuse detection. Every refresh returns a new refresh token
 * and kills the presented one; presenting a token that was already rotated revokes its whole family
 * (RFC 9700 §4.14.2), since either the client or an attacker holds a stolen copy.
 * @see RFC 6749 §6
 */
export const refreshTokenGrant: Grant = {
  grantType: 'refresh_token',
  parameters: ['refresh_token'],
  confidentialOnly: false,
  async handler(ctx: AuthzContext, request, client) {
    const now = ctx.clock.nowSeconds();
    const presentedHash = hashSecret(request.params.refresh_token!);
    const token = await ctx.store.findToken(presentedHash);
    // A token of another client is answered like an unknown one, and does not touch the family.
    if (!token || token.kind !== 'refresh' || token.clientId !== client.id) {
      throw new InvalidGrant('invalid refresh token');
    }
    const leeway = withinLeeway(ctx, token, now);
    if (token.rotatedAt !== null && !leeway) await reuseDetected(ctx, request, token, now);
    if (!leeway && !isTokenLive(token, now)) throw new InvalidGrant('invalid refresh token');

    const requested = parseScopeParam(request.params.scope);
    // The scope may narrow, never widen (RFC 6749 §6), and never beyond what the client still has.
    const scope = (requested ?? token.scope).filter((name) => client.scopes.includes(name));
    if (requested !== undefined && (!isSubset(requested, token.scope) || scope.length !== requested.length)) {
      throw new InvalidScope('the requested scope exceeds the scope originally granted');
    }

    const minted = await mintTokens(ctx, client, await ctx.settings.get(), now, {
      familyId: token.familyId,
      username: token.username,
      scope,
      withRefresh: true,
      refreshScope: token.scope,
      resource: request.params.resource,
    });
    const outcome = await ctx.store.rotateRefreshToken({
      presentedHash,
      now,
      refreshLimit: client.refreshLimit,
      newTokens: minted.records,
      reuseLeewaySeconds: leeway ? ctx.refreshReuseLeeway : 0,
    });
    switch (outcome) {
      case 'rotated':
        ctx.audit.record({
          at: now,
          type: 'token.issued',
          ip: request.ip,
          clientId: client.id,
          username: token.username,
          detail: { grant_type: 'refresh_token', family: token.familyId, ...(leeway ? { reuse_leeway: true } : {}) },
        });
        // OpenID Connect Core §12.2: the ID token of a refresh tells of the original sign-in.
        return scope.includes(OPENID_SCOPE)
          ? withIdToken(ctx, client, minted.response, {
              username: token.username,
              scope,
              authentication: token.familyAuthentication,
            })
          : minted.response;
      case 'already_rotated':
        // Lost a race with another presentation of the same token, or the leeway did not apply
        // (the replacement was used already): that is reuse too.
        return reuseDetected(ctx, request, token, now);
      case 'limit_reached':
        throw new InvalidGrant('the refresh limit of this grant is reached');
      case 'not_live':
        throw new InvalidGrant('invalid refresh token');
    }
  },
};
