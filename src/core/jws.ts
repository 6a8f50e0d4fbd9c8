import { createPrivateKey, type KeyObject, sign, type SignKeyObjectInput } from 'node:crypto';
import type { SigningAlgorithm } from './model.ts';

/**
 * A private signing key opened once, ready to sign many compact JWS (RFC 7515 §7.1) through
 * `node:crypto`: a WebCrypto signature (what `jose` signs with) costs about twice the CPU of the
 * same signature here, and the token endpoint signs one per JWT access token and ID token.
 * `jose` still makes the keys, publishes them and verifies.
 *
 * ES256 gives the JOSE form of an ECDSA signature, r || s (RFC 7518 §3.4), not DER; RS256 is
 * RSASSA-PKCS1-v1_5 with SHA-256 (§3.3); EdDSA is Ed25519 (RFC 8037 §3.1). Neither method checks
 * the claims: the caller builds them.
 */
export class JwsSigner {
  private readonly key: KeyObject | SignKeyObjectInput;
  /** The digest `node:crypto` is given: Ed25519 hashes inside the signature, so none. */
  private readonly digest: 'sha256' | null;
  /** The base64url protected header, one per `typ`: the same for every token this key signs. */
  private readonly headers = new Map<string, string>();

  constructor(
    privateJwk: Record<string, unknown>,
    readonly alg: SigningAlgorithm,
    readonly kid: string,
  ) {
    const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
    this.key = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
    this.digest = alg === 'EdDSA' ? null : 'sha256';
  }

  /** Signs `payload` as a compact JWS with header `{alg, kid, typ}`, on the calling thread. */
  sign(payload: object, typ: string): string {
    const input = this.signingInput(payload, typ);
    return `${input}.${sign(this.digest, Buffer.from(input, 'ascii'), this.key).toString('base64url')}`;
  }

  /**
   * The same JWS as `sign`, with the signature computed on libuv's thread pool: the event loop
   * only builds the signing input and joins the result. A job queued behind long ones waits for
   * them, so the caller decides when the pool is free enough (docs/tokens.md "What each costs").
   */
  signOnThreadPool(payload: object, typ: string): Promise<string> {
    const input = this.signingInput(payload, typ);
    return new Promise((resolve, reject) => {
      sign(this.digest, Buffer.from(input, 'ascii'), this.key, (error, signature) => {
        if (error) reject(error);
        else resolve(`${input}.${signature.toString('base64url')}`);
      });
    });
  }

  /** `BASE64URL(header) . BASE64URL(payload)`, the JWS signing input (RFC 7515 §5.1). */
  private signingInput(payload: object, typ: string): string {
    let header = this.headers.get(typ);
    if (header === undefined) {
      header = base64url(JSON.stringify({ alg: this.alg, kid: this.kid, typ }));
      this.headers.set(typ, header);
    }
    return `${header}.${base64url(JSON.stringify(payload))}`;
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
