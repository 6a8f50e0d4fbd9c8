import { createHash } from 'node:crypto';
import { constantTimeEqual } from './secrets.ts';

/** An S256 challenge is the base64url SHA-256 of the verifier: 43 characters, no padding (RFC 7636 §4.2). */
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;
/** RFC 7636 §4.1: 43 to 128 unreserved characters. */
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/;

export function isS256Challenge(challenge: string): boolean {
  return S256_CHALLENGE.test(challenge);
}

/**
 * Proof Key for Code Exchange, S256 only (RFC 7636 §4.6): the verifier is well formed and its
 * SHA-256 is the challenge, compared in constant time. `plain` is never accepted (RFC 9700 §2.1.1).
 */
export function verifierMatches(verifier: string, challenge: string): boolean {
  if (!VERIFIER.test(verifier)) return false;
  return constantTimeEqual(createHash('sha256').update(verifier, 'ascii').digest('base64url'), challenge);
}
