import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import { type Clock, systemClock } from '../core/clock.ts';
import { type TokenVerifier, type VerifiedToken, VerifierUnavailableError } from './token-verifier.ts';

/** The algorithms Portcullis signs with; anything else (`none`, HMAC) is refused before any key is looked up. */
const ALGORITHMS = ['ES256', 'RS256', 'EdDSA'];

/** How many verified tokens a verifier remembers. */
const VERIFIED_CACHE_SIZE = 10_000;

/** The most clock skew a verifier may allow: beyond it, an expired token would live on noticeably. */
const MAX_CLOCK_TOLERANCE = 300;

/** Three base64url parts: a JWS in compact form. Opaque Portcullis tokens have no dot. */
function looksLikeJwt(token: string): boolean {
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);
}

/**
 * Finds the verification key (a WebCrypto `CryptoKey`, a `KeyObject`, or key bytes) for a JWS
 * header (its `kid` and `alg`); throws when there is none.
 */
export type KeyLookup = (header: { kid?: string; alg?: string }) => Promise<object>;

export interface JwtVerifierOptions {
  /** Where the keys come from: a JWKS URL (fetched, cached, fetched again on an unknown `kid`), or a key lookup. */
  keys: URL | string | KeyLookup;
  /** The `iss` the tokens must carry: the Portcullis issuer. */
  issuer: string | (() => string);
  /** The `aud` this resource server answers to (one of them must be in the token). */
  audience: string | string[] | (() => string[] | Promise<string[]>);
  /**
   * With a JWKS URL: how long the key set is kept (default 600 s), and the least time between two
   * fetches (default 30 s; an unknown `kid` fetches again once this has passed). Portcullis publishes
   * a new key its publish delay (default 600 s) before signing with it, so these defaults never miss one.
   */
  jwks?: { cacheMaxAgeSeconds?: number; cooldownSeconds?: number };
  /** Seconds of clock skew allowed on `exp`, `iat` and `nbf` (default 30, at most 300). */
  clockToleranceSeconds?: number;
  clock?: Clock;
}

/**
 * Verifies RFC 9068 JWT access tokens offline: the signature against the issuer's published keys
 * (ES256, RS256 or EdDSA), `typ: at+jwt` (so an ID token is not taken for an access token,
 * RFC 9068 §4), `iss`, `aud`, `exp` within a bounded clock skew, and the claims Portcullis puts
 * in every one. It does NOT see revocation: a revoked JWT is accepted until it expires, unless
 * the caller also asks the authorization server (`introspectJwts`, docs/tokens.md).
 */
export class JwtVerifier implements TokenVerifier {
  private readonly getKey: JWTVerifyGetKey;
  private readonly clockTolerance: number;
  /**
   * Tokens already verified, until their `exp`: a signature check costs more than the rest of a
   * gateway call, and a client sends the same token many times. Only successes are kept (the
   * key is the whole token, so an altered one is a miss); bounded, oldest out first.
   */
  private readonly verified = new Map<string, VerifiedToken>();

  constructor(private readonly options: JwtVerifierOptions) {
    const tolerance = options.clockToleranceSeconds ?? 30;
    if (!(tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE)) throw new Error(`clockToleranceSeconds must be from 0 to ${MAX_CLOCK_TOLERANCE}`);
    this.clockTolerance = tolerance;
    this.getKey =
      typeof options.keys === 'function'
        ? options.keys
        : createRemoteJWKSet(new URL(options.keys), {
            cacheMaxAge: (options.jwks?.cacheMaxAgeSeconds ?? 600) * 1000,
            cooldownDuration: (options.jwks?.cooldownSeconds ?? 30) * 1000,
          });
  }

  async verify(token: string): Promise<VerifiedToken | undefined> {
    if (!looksLikeJwt(token)) return undefined;
    const now = (this.options.clock ?? systemClock).nowSeconds();
    const known = this.verified.get(token);
    if (known && now < known.expiresAt! + this.clockTolerance) return known;
    if (known) this.verified.delete(token);
    const verified = await this.check(token, now);
    if (verified) {
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, verified);
    }
    return verified;
  }

  private async check(token: string, now: number): Promise<VerifiedToken | undefined> {
    const { issuer, audience } = this.options;
    try {
      const { payload } = await jwtVerify(token, this.getKey, {
        algorithms: ALGORITHMS,
        typ: 'at+jwt',
        issuer: typeof issuer === 'function' ? issuer() : issuer,
        audience: typeof audience === 'function' ? await audience() : audience,
        clockTolerance: this.clockTolerance,
        currentDate: new Date(now * 1000),
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      });
      const clientId = payload.client_id;
      if (typeof clientId !== 'string' || typeof payload.sub !== 'string') return undefined;
      return {
        clientId,
        // RFC 9068 §2.2: a client credentials token's subject is the client itself.
        username: payload.sub === clientId ? null : payload.sub,
        scope: typeof payload.scope === 'string' && payload.scope !== '' ? payload.scope.split(' ') : [],
        expiresAt: payload.exp!,
        offline: true,
      };
    } catch (error) {
      // The key set could not be fetched: the caller answers 503, never 401.
      if (error instanceof errors.JWKSTimeout || (error instanceof Error && !(error instanceof errors.JOSEError))) {
        throw new VerifierUnavailableError('the JWKS could not be fetched', { cause: error });
      }
      return undefined;
    }
  }
}

/**
 * JWTs offline, everything else by `opaque` (introspection, or the store); with `introspectJwts`
 * a JWT that passed offline is asked about too, so that a revocation counts at once.
 */
export class JwtOrOpaqueVerifier implements TokenVerifier {
  constructor(
    private readonly jwt: TokenVerifier,
    private readonly opaque: TokenVerifier,
    private readonly introspectJwts = false,
  ) {}

  async verify(token: string): Promise<VerifiedToken | undefined> {
    if (!looksLikeJwt(token)) return this.opaque.verify(token);
    const verified = await this.jwt.verify(token);
    if (!verified || !this.introspectJwts) return verified;
    return (await this.opaque.verify(token)) ? verified : undefined;
  }
}

/** Offline verification of Portcullis JWT access tokens (see `JwtVerifier`). */
export function jwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  return new JwtVerifier(options);
}

/**
 * JWT access tokens offline, opaque ones by `opaque` (`introspectionVerifier(...)`); with
 * `introspectJwts: true` JWTs are introspected too, for routes that need a revocation seen at once.
 */
export function jwtOrOpaqueVerifier(options: { jwt: TokenVerifier; opaque: TokenVerifier; introspectJwts?: boolean }): JwtOrOpaqueVerifier {
  return new JwtOrOpaqueVerifier(options.jwt, options.opaque, options.introspectJwts ?? false);
}
