import type { Clock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { TokenState, TokenView } from '../core/model.ts';
import { formatScope } from '../core/scope.ts';
import { hashSecret } from '../core/secrets.ts';
import { isTokenLive, tokenState } from '../core/token-state.ts';
import type { Store, TokenFilter } from '../store/store.ts';
import { auditChange } from './audit.ts';

export const TOKEN_STATES: readonly TokenState[] = ['active', 'expired', 'revoked', 'rotated'];

export function parseTokenState(value: string): TokenState {
  if (!(TOKEN_STATES as readonly string[]).includes(value)) throw new UserError(`state must be one of ${TOKEN_STATES.join(', ')}`);
  return value as TokenState;
}

/**
 * What operators see of a token. The `id` is the stored SHA-256, which identifies the token
 * without revealing it.
 */
export function describeToken(token: TokenView, now: number): Record<string, unknown> {
  return {
    id: token.hash,
    kind: token.kind,
    state: tokenState(token, now),
    live: isTokenLive(token, now),
    client_id: token.clientId,
    username: token.username,
    scope: formatScope(token.scope),
    family: token.familyId,
    issued_at: new Date(token.issuedAt * 1000).toISOString(),
    expires_at: token.expiresAt === null ? null : new Date(token.expiresAt * 1000).toISOString(),
  };
}

export async function listTokens(store: Store, clock: Clock, filter: TokenFilter): Promise<Record<string, unknown>[]> {
  const now = clock.nowSeconds();
  return (await store.listTokens(filter, now)).map((token) => describeToken(token, now));
}

/**
 * Revokes one grant (found by token id, or by the plain token) and everything issued from it,
 * or every grant of a user or a client. Returns how many families were revoked.
 */
export async function revokeTokens(
  store: Store,
  clock: Clock,
  target: { id: string } | { token: string } | { username: string } | { clientId: string },
): Promise<number> {
  const now = clock.nowSeconds();
  if ('username' in target || 'clientId' in target) {
    const revoked = await store.revokeFamiliesOf(target, now);
    await auditChange(store, clock, { type: 'token.revoked', ...target, detail: { via: 'operator', revoked_grants: revoked } });
    return revoked;
  }
  const hash = 'id' in target ? target.id : hashSecret(target.token);
  const token = await store.findToken(hash);
  if (!token) throw new UserError('no such token', 'not_found');
  const revoked = (await store.revokeGrant(token, now)) ? 1 : 0;
  await auditChange(store, clock, {
    type: 'token.revoked',
    clientId: token.clientId,
    username: token.username,
    detail: { via: 'operator', family: token.familyId, revoked_grants: revoked },
  });
  return revoked;
}

/** Deletes expired and revoked tokens in bounded batches until none is left; returns the count. */
export async function purgeTokens(store: Store, clock: Clock, batchSize = 1000): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await store.purgeExpired(clock.nowSeconds(), batchSize);
    total += removed;
    if (removed < batchSize) return total;
  }
}
