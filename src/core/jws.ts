import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import type { SigningAlgorithm } from './model.ts';

/**
 * A private signing key opened once, ready to sign many compact JWS (RFC 7515 §7.1) synchronously
 * through `node:crypto`: a WebCrypto signature (what `jose` signs with) costs about twice the CPU
 * of the same signature here, and the token endpoint signs one per JWT access token and ID token.
 * `jose` still makes the keys, publishes them and verifies.
 */
export class JwsSigner {
  private readonly key: KeyObject;
  /** The base64url protected header, one per `typ`: the same for every token this key signs. */
  private readonly headers = new Map<string, string>();

  constructor(
    privateJwk: Record<string, unknown>,
    readonly alg: SigningAlgorithm,
    readonly kid: string,
  ) {
    this.key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  }

  /**
   * Signs `payload` as a compact JWS with header `{alg, kid, typ}`. ES256 gives the JOSE form of an
   * ECDSA signature, r || s (RFC 7518 §3.4), not DER; RS256 is RSASSA-PKCS1-v1_5 with SHA-256
   * (§3.3); EdDSA is Ed25519 (RFC 8037 §3.1). It does NOT check the claims: the caller builds them.
   */
  sign(payload: object, typ: string): string {
    let header = this.headers.get(typ);
    if (header === undefined) {
      header = base64url(JSON.stringify({ alg: this.alg, kid: this.kid, typ }));
      this.headers.set(typ, header);
    }
    const input = `${header}.${base64url(JSON.stringify(payload))}`;
    const data = Buffer.from(input, 'ascii');
    const signature =
      this.alg === 'EdDSA'
        ? sign(null, data, this.key)
        : sign('sha256', data, this.alg === 'ES256' ? { key: this.key, dsaEncoding: 'ieee-p1363' } : this.key);
    return `${input}.${signature.toString('base64url')}`;
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
