import type { TokenState, TokenView } from './model.ts';

/** The token's own state, as the admin lists show it. */
export function tokenState(token: TokenView, now: number): TokenState {
  if (token.revokedAt !== null || token.familyRevokedAt !== null) return 'revoked';
  if (token.rotatedAt !== null) return 'rotated';
  if (token.expiresAt !== null && token.expiresAt <= now) return 'expired';
  return 'active';
}

/**
 * Whether a token may be used or reported active: its own state, and also its client enabled
 * (a disabled client's tokens are inactive until it is enabled again) and its resource owner
 * still present and enabled.
 */
export function isTokenLive(token: TokenView, now: number): boolean {
  return tokenState(token, now) === 'active' && token.clientEnabled && token.userEnabled !== false;
}
