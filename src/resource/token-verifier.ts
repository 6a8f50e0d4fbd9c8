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
}

/**
 * One interface, several sources: the local store (same process or same database), remote
 * RFC 7662 introspection, and later local JWT signature checks.
 */
export interface TokenVerifier {
  /** The token's facts when it is a live access token, else `undefined`. Throws when the source is unreachable. */
  verify(token: string): Promise<VerifiedToken | undefined>;
}

/** Raised when the verification source cannot answer (network, 5xx): the caller answers 503, never 401. */
export class VerifierUnavailableError extends Error {
  override name = 'VerifierUnavailableError';
}
