/**
 * What the resource server learns from a valid access token, whichever source verified it.
 * `username` is the resource owner; `null` for a `client_credentials` token.
 */
export interface VerifiedToken {
  clientId: string;
  username: string | null;
  scope: string[];
  /** Seconds since the epoch; `null` never expires. */
  expiresAt: number | null;
  /** Verified offline (a JWT's signature): a revocation since it was issued is not seen. */
  offline?: boolean;
}

/**
 * One interface, several sources: the local store (same process or same database), remote
 * RFC 7662 introspection, and JWT signature checks (jwt-verifier.ts).
 */
export interface TokenVerifier {
  /** The token's facts when it is a live access token, else `undefined`. Throws when the source is unreachable. */
  verify(token: string): Promise<VerifiedToken | undefined>;
}

/** Raised when the verification source cannot answer (network, 5xx): the caller answers 503, never 401. */
export class VerifierUnavailableError extends Error {
  override name = 'VerifierUnavailableError';
}
