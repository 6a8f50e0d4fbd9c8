import { createHash } from 'node:crypto';
import type { Authentication, Client, SigningAlgorithm } from '../core/model.ts';
import type { AuthzContext } from './context.ts';
import type { TokenResponse } from './token-response.ts';
import { ID_TOKEN_TTL } from './key-ring.ts';

/** The scope that asks for an ID token (OpenID Connect Core §3.1.2.1). */
export const OPENID_SCOPE = 'openid';

/**
 * `at_hash`: the left half of the hash of the access token, with the hash of the signature's
 * algorithm (OpenID Connect Core §3.1.3.6): SHA-256 for ES256 and RS256, SHA-512 for Ed25519.
 */
export function accessTokenHash(accessToken: string, alg: SigningAlgorithm): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256').update(accessToken, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** Who signed in and how, for the ID token of a grant. */
export interface IdTokenSubject {
  username: string | null;
  scope: string[];
  /** `null` when unknown (a family issued before ID tokens existed): `auth_time` and `amr` are left out then. */
  authentication: Authentication | null;
  nonce?: string | null;
}

/**
 * Adds an ID token to a token response when the grant has the `openid` scope and a user (OpenID
 * Connect Core §2, §3.1.3.3): `iss`, `sub` (the username), `aud` (the client), `exp`, `iat`,
 * `auth_time`, `amr`, `nonce` when the authorization request had one, and `at_hash` binding it to
 * the access token beside it. Signed by the current key, like JWT access tokens.
 */
export async function withIdToken(ctx: AuthzContext, client: Client, response: TokenResponse, subject: IdTokenSubject): Promise<TokenResponse> {
  if (subject.username === null || !subject.scope.includes(OPENID_SCOPE)) return response;
  const now = ctx.clock.nowSeconds();
  const claims: Record<string, unknown> = { iss: ctx.issuer, sub: subject.username, aud: client.id, exp: now + ID_TOKEN_TTL, iat: now };
  if (subject.authentication) {
    claims.auth_time = subject.authentication.authTime;
    claims.amr = subject.authentication.amr;
  }
  if (subject.nonce) claims.nonce = subject.nonce;
  const idToken = await ctx.keys.sign((alg) => ({ ...claims, at_hash: accessTokenHash(response.access_token, alg) }), 'JWT');
  return { ...response, id_token: idToken };
}
