import { randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

/** RFC 6238's defaults, which every authenticator app reads: HMAC-SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** RFC 4226 §4 asks for at least 128 bits and recommends 160. */
const SECRET_BYTES = 20;
/** RFC 6238 §5.2: one step either side, for clocks that drift and codes typed late. */
const WINDOW = 1;

/** A new TOTP secret, in base32 (RFC 4648 §6), as authenticator apps take it. */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

function totp(secret: string, issuer = '', label = ''): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD_SECONDS, secret: Secret.fromBase32(secret) });
}

/**
 * The `otpauth://totp/…` URI of a secret (the Key Uri Format that authenticator apps scan as a QR
 * code): `issuer` names the server, `account` the user.
 */
export function totpUri(secret: string, issuer: string, account: string): string {
  return totp(secret, issuer, account).toString();
}

/**
 * The RFC 6238 time step a code is valid for at `nowMs`, within one step either side, or `undefined`
 * when it matches none (compared in constant time by the library). Does NOT refuse a replayed code:
 * the caller accepts each step once (docs/mfa.md).
 */
export function matchTotp(secret: string, code: string, nowMs: number): number | undefined {
  if (!/^\d{6}$/.test(code)) return undefined;
  const delta = totp(secret).validate({ token: code, timestamp: nowMs, window: WINDOW });
  return delta === null ? undefined : Math.floor(nowMs / 1000 / PERIOD_SECONDS) + delta;
}

/** Crockford's base32 alphabet: no I, L, O or U, so that a code copied from paper reads one way. */
const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const RECOVERY_GROUPS = 4;
const RECOVERY_GROUP_LENGTH = 5;
export const RECOVERY_CODE_COUNT = 10;

/**
 * Ten new recovery codes, each 100 random bits written as four groups of five (`K3M9Q-…`): enough
 * that one SHA-256 stores them safely (nothing to brute-force), as for other generated secrets.
 */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODE_COUNT }, () =>
    Array.from({ length: RECOVERY_GROUPS }, () =>
      Array.from({ length: RECOVERY_GROUP_LENGTH }, () => RECOVERY_ALPHABET[randomInt(RECOVERY_ALPHABET.length)]).join(''),
    ).join('-'),
  );
}

/** A recovery code as typed (any case, with or without dashes and spaces) in the form it is hashed in. */
export function normalizeRecoveryCode(typed: string): string {
  return typed.toUpperCase().replace(/[\s-]/g, '');
}
