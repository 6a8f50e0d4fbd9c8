import * as nodeCrypto from 'node:crypto';
import { createHash, randomFillSync, randomUUID, timingSafeEqual } from 'node:crypto';

const SECRET_BYTES = 32;
/**
 * CSPRNG output drawn 256 secrets at a time and handed out once each, as Node's randomUUID does:
 * one randomBytes(32) call costs more than the rest of minting a token.
 */
const pool = Buffer.alloc(SECRET_BYTES * 256);
let poolOffset = pool.length;

/**
 * A new bearer credential (access token, refresh token, client secret): 256 random bits, base64url.
 * @see docs/oauth.md "Stored data"
 */
export function generateSecret(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const secret = pool.toString('base64url', poolOffset, poolOffset + SECRET_BYTES);
  // Spent bytes are overwritten at once: no copy of a handed-out secret stays in the pool.
  pool.fill(0, poolOffset, poolOffset + SECRET_BYTES);
  poolOffset += SECRET_BYTES;
  return secret;
}

export function generateClientId(): string {
  return randomUUID();
}

/**
 * Node's one-shot digest (20.12 and later) makes no Hash object: a third of createHash's time for
 * a token, and every client-authenticated request hashes one or two. Strings are hashed as UTF-8 by both.
 */
const sha256Base64url: (text: string) => string =
  typeof nodeCrypto.hash === 'function'
    ? (text) => nodeCrypto.hash('sha256', text, 'base64url')
    : (text) => createHash('sha256').update(text, 'utf8').digest('base64url');

/**
 * The stored form of a generated credential. One SHA-256 is enough for 256-bit random values
 * (nothing to brute-force); argon2 is for human passwords only.
 */
export function hashSecret(secret: string): string {
  return sha256Base64url(secret);
}

/** Compares two strings in time that depends only on their lengths. */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqualBytes(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}

/**
 * Checks a presented secret against a stored hash. Hashing first makes both sides the same
 * length, so the comparison is constant-time whatever was presented.
 */
export function secretMatches(presented: string, storedHash: string): boolean {
  return constantTimeEqual(hashSecret(presented), storedHash);
}
