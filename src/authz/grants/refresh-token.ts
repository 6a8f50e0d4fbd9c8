import { InvalidGrant, InvalidScope } from '../../core/errors.ts';
import { isSubset, parseScopeParam } from '../../core/scope.ts';
import { hashSecret } from '../../core/secrets.ts';
import { isTokenLive } from '../../core/token-state.ts';
import type { AuthzContext } from '../context.ts';
import { mintTokens } from '../issue-tokens.ts';
import type { Grant } from './grant.ts';

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
    if (token.rotatedAt !== null) {
      await ctx.store.revokeFamily(token.familyId, now);
      throw new InvalidGrant('invalid refresh token');
    }
    if (!isTokenLive(token, now)) throw new InvalidGrant('invalid refresh token');

    const requested = parseScopeParam(request.params.scope);
    // The scope may narrow, never widen (RFC 6749 §6), and never beyond what the client still has.
    const scope = (requested ?? token.scope).filter((name) => client.scopes.includes(name));
    if (requested !== undefined && (!isSubset(requested, token.scope) || scope.length !== requested.length)) {
      throw new InvalidScope('the requested scope exceeds the scope originally granted');
    }

    const minted = mintTokens(client, await ctx.settings.get(), now, {
      familyId: token.familyId,
      username: token.username,
      scope,
      withRefresh: true,
      refreshScope: token.scope,
    });
    const outcome = await ctx.store.rotateRefreshToken({
      presentedHash,
      now,
      refreshLimit: client.refreshLimit,
      newTokens: minted.records,
    });
    switch (outcome) {
      case 'rotated':
        return minted.response;
      case 'already_rotated':
        // Lost a race with another presentation of the same token: that is reuse too.
        await ctx.store.revokeFamily(token.familyId, now);
        throw new InvalidGrant('invalid refresh token');
      case 'limit_reached':
        throw new InvalidGrant('the refresh limit of this grant is reached');
      case 'not_live':
        throw new InvalidGrant('invalid refresh token');
    }
  },
};
