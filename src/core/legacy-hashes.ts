import { pbkdf2, scrypt } from 'node:crypto';
import { promisify } from 'node:util';
import { verify as verifyBcrypt } from '@node-rs/bcrypt';
import { constantTimeEqualBytes } from './secrets.ts';

/**
 * Password hashes imported from other systems (docs/security.md): they verify, and the login that proves
 * the password re-hashes it to argon2id. Accepted formats, all in one line:
 *
 * - bcrypt: `$2a$`, `$2b$`, `$2y$` (Modular Crypt Format, as every bcrypt library writes it).
 * - PBKDF2: `$pbkdf2-sha256$i=ITERATIONS$SALT$HASH` and `$pbkdf2-sha512$…` (PHC style); passlib's
 *   `$pbkdf2-sha256$ITERATIONS$SALT$HASH` is read too.
 * - scrypt: `$scrypt$ln=LOG2N,r=R,p=P$SALT$HASH` (passlib / PHC style).
 *
 * SALT and HASH are base64 without padding, standard alphabet (`+/`); passlib's adapted alphabet
 * (`.` for `+`) is accepted as well. The hash length is the derived-key length.
 */
export type LegacyFormat = 'bcrypt' | 'pbkdf2' | 'scrypt';

const pbkdf2Async = promisify(pbkdf2);
const scryptAsync = promisify(scrypt) as (password: string, salt: Buffer, keylen: number, options: object) => Promise<Buffer>;

const B64 = '[A-Za-z0-9+/.]+={0,2}';
const PBKDF2 = new RegExp(`^\\$pbkdf2-(sha256|sha512)\\$(?:i=)?(\\d{1,9})\\$(${B64})\\$(${B64})$`);
const SCRYPT = new RegExp(`^\\$scrypt\\$ln=(\\d{1,2}),r=(\\d{1,3}),p=(\\d{1,3})\\$(${B64})\\$(${B64})$`);

/** Bounds that keep one imported hash from costing more than a login is worth. */
const MAX_PBKDF2_ITERATIONS = 10_000_000;
const MAX_SCRYPT_MEMORY = 1024 * 1024 * 1024;

function decode(text: string): Buffer {
  return Buffer.from(text.replace(/\./g, '+'), 'base64');
}

interface Pbkdf2Hash {
  digest: 'sha256' | 'sha512';
  iterations: number;
  salt: Buffer;
  hash: Buffer;
}

interface ScryptHash {
  n: number;
  r: number;
  p: number;
  salt: Buffer;
  hash: Buffer;
}

function parsePbkdf2(stored: string): Pbkdf2Hash | undefined {
  const match = PBKDF2.exec(stored);
  if (!match) return undefined;
  const iterations = Number(match[2]);
  const hash = decode(match[4]!);
  if (iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS || hash.length < 16) return undefined;
  return { digest: match[1] as Pbkdf2Hash['digest'], iterations, salt: decode(match[3]!), hash };
}

function parseScrypt(stored: string): ScryptHash | undefined {
  const match = SCRYPT.exec(stored);
  if (!match) return undefined;
  const [ln, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const hash = decode(match[5]!);
  if (ln < 1 || ln > 24 || r < 1 || p < 1 || 128 * 2 ** ln * r * p > MAX_SCRYPT_MEMORY || hash.length < 16) return undefined;
  return { n: 2 ** ln, r, p, salt: decode(match[4]!), hash };
}

/** `$2a$`/`$2b$`/`$2y$`, a two-digit cost from 04 to 31, then 22 salt and 31 hash characters of bcrypt's base64. */
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

function isBcrypt(stored: string): boolean {
  return BCRYPT.test(stored);
}

/** Which imported format a stored hash is in, or `undefined` when it is none of them. */
export function legacyFormat(stored: string): LegacyFormat | undefined {
  if (isBcrypt(stored)) return 'bcrypt';
  if (parsePbkdf2(stored)) return 'pbkdf2';
  if (parseScrypt(stored)) return 'scrypt';
  return undefined;
}

/**
 * Verifies a password against an imported hash, off the event loop (libuv's thread pool), and
 * compares in constant time. An unknown or malformed hash is simply a mismatch.
 */
export async function verifyLegacy(stored: string, password: string): Promise<boolean> {
  if (isBcrypt(stored)) return verifyBcrypt(password, stored);
  const pbkdf = parsePbkdf2(stored);
  if (pbkdf) {
    const derived = await pbkdf2Async(password, pbkdf.salt, pbkdf.iterations, pbkdf.hash.length, pbkdf.digest);
    return constantTimeEqualBytes(derived, pbkdf.hash);
  }
  const scr = parseScrypt(stored);
  if (scr) {
    const derived = await scryptAsync(password, scr.salt, scr.hash.length, {
      N: scr.n,
      r: scr.r,
      p: scr.p,
      maxmem: 256 * scr.n * scr.r * scr.p,
    });
    return constantTimeEqualBytes(derived, scr.hash);
  }
  return false;
}
