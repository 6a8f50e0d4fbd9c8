import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption of secrets at rest (signing keys' private halves, MFA secrets) under the
 * server key (docs/security.md, "The server key"). AES-256-GCM with a fresh 96-bit nonce per seal;
 * the encryption key is derived from the server key with HKDF (RFC 5869), so the server key itself
 * encrypts nothing. Every sealed value is bound to a `context` (its purpose and row, say
 * `signing-key:<kid>`) as additional data: a ciphertext copied to another row does not open.
 */
export class SecretBox {
  /** Identifies the server key without revealing it: stored once in the database, compared at start-up. */
  readonly check: string;
  readonly #key: Buffer;

  constructor(serverKey: Buffer) {
    if (serverKey.length !== SERVER_KEY_BYTES) throw new Error(`a server key is ${SERVER_KEY_BYTES} bytes`);
    this.#key = Buffer.from(hkdfSync('sha256', serverKey, Buffer.alloc(0), 'portcullis secret box v1', 32));
    this.check = createHmac('sha256', serverKey).update('portcullis server key check v1').digest('hex').slice(0, 32);
  }

  /** Encrypts `plaintext` for `context`; the result is printable (`v1.` and base64url). */
  seal(plaintext: string | Buffer, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${VERSION}${Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** Decrypts what `seal` made for the same `context`; throws when it was altered, moved or sealed under another key. */
  open(sealed: string, context: string): Buffer {
    const bytes = sealed.startsWith(VERSION) ? Buffer.from(sealed.slice(VERSION.length), 'base64url') : Buffer.alloc(0);
    if (bytes.length < NONCE_BYTES + TAG_BYTES) throw new Error(`a sealed secret for ${context} is malformed`);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new Error(`a sealed secret for ${context} does not open under this server key`);
    }
  }
}

export const SERVER_KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1.';

/** A new random server key, as written to the key file: 32 bytes in base64url. */
export function generateServerKey(): string {
  return randomBytes(SERVER_KEY_BYTES).toString('base64url');
}

/**
 * Reads a server key written as 64 hexadecimal digits or as 32 bytes in base64 or base64url
 * (`openssl rand -base64 32`); `undefined` when the text is neither.
 */
export function parseServerKey(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}={0,1}$/.test(trimmed)) return undefined;
  const bytes = Buffer.from(trimmed.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''), 'base64url');
  return bytes.length === SERVER_KEY_BYTES ? bytes : undefined;
}
