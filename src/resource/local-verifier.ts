import type { Clock } from '../core/clock.ts';
import { hashSecret } from '../core/secrets.ts';
import { isTokenLive } from '../core/token-state.ts';
import type { Store, TokenStore } from '../store/store.ts';
import type { TokenVerifier, VerifiedToken } from './token-verifier.ts';

/**
 * Verifies against the store the authorization server writes to: one indexed lookup by the
 * token's SHA-256, so a revocation takes effect on the very next request.
 * Refresh tokens are refused: only access tokens are bearer credentials for resources (RFC 6749 §1.5).
 */
export class LocalTokenVerifier implements TokenVerifier {
  constructor(
    private readonly store: TokenStore & Pick<Store, 'startRequest'>,
    private readonly clock: Clock,
  ) {}

  async verify(token: string): Promise<VerifiedToken | undefined> {
    // Each verification is a request of its own: a token revoked before it arrived is seen revoked.
    this.store.startRequest?.();
    const record = await this.store.findToken(hashSecret(token));
    if (!record || record.kind !== 'access' || !isTokenLive(record, this.clock.nowSeconds())) return undefined;
    return { clientId: record.clientId, username: record.username, scope: record.scope, expiresAt: record.expiresAt };
  }
}
