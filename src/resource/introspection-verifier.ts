import { type Clock, systemClock } from '../core/clock.ts';
import { hashSecret } from '../core/secrets.ts';
import { type TokenVerifier, type VerifiedToken, VerifierUnavailableError } from './token-verifier.ts';

export interface IntrospectionOptions {
  /** The RFC 7662 endpoint, such as `https://auth.example.com/oauth/introspect`. */
  endpoint: string;
  /** A confidential client allowed to introspect any token (`portcullis client create --introspect`). */
  clientId: string;
  clientSecret: string;
  /**
   * Seconds an answer may be reused. This is the worst-case revocation delay: a token revoked at
   * the authorization server keeps working here for at most this long. 0 disables the cache.
   */
  cacheMaxAge: number;
  /** Milliseconds to wait for the introspection endpoint. */
  timeoutMs?: number;
  /**
   * Accept active answers without `token_type` (default false). Portcullis says `Bearer` for
   * access tokens only, so an answer without it is a refresh token; servers that never send
   * `token_type` need this set, and then cannot tell the two apart.
   */
  acceptMissingTokenType?: boolean;
  /** Cached answers kept at most; the oldest go first. */
  maxEntries?: number;
  clock?: Clock;
}

interface CacheEntry {
  token: VerifiedToken | undefined;
  /** Seconds since the epoch after which the entry is not used. */
  until: number;
}

/** The fields of an RFC 7662 §2.2 answer that the resource server uses. */
interface IntrospectionAnswer {
  active?: unknown;
  scope?: unknown;
  client_id?: unknown;
  username?: unknown;
  token_type?: unknown;
  exp?: unknown;
}

/**
 * Verifies tokens by asking an RFC 7662 introspection endpoint (Portcullis or any other server),
 * with a cache. An entry lives until the earlier of the token's `exp` and `cacheMaxAge` seconds
 * after the answer, so an expired token is never accepted from the cache and a revoked one at most
 * `cacheMaxAge` seconds after its revocation. Inactive answers are cached too (with the same
 * bound), so that a flood of garbage tokens does not become a flood of introspection calls.
 * The cache is keyed by the token's SHA-256, never by the token.
 * @see RFC 7662 §4 (caching and its revocation trade-off)
 */
export class IntrospectionVerifier implements TokenVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<VerifiedToken | undefined>>();
  private readonly authorization: string;
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: IntrospectionOptions) {
    // RFC 6749 §2.3.1: form-encode id and secret before Basic.
    const id = encodeURIComponent(options.clientId);
    const secret = encodeURIComponent(options.clientSecret);
    this.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
    this.clock = options.clock ?? systemClock;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.timeoutMs = options.timeoutMs ?? 5_000;
  }

  async verify(token: string): Promise<VerifiedToken | undefined> {
    const key = hashSecret(token);
    const now = this.clock.nowSeconds();
    const cached = this.cache.get(key);
    if (cached && now < cached.until && (cached.token?.expiresAt ?? Infinity) > now) return cached.token;
    if (cached) this.cache.delete(key);

    let lookup = this.pending.get(key);
    if (!lookup) {
      lookup = this.introspect(token).finally(() => this.pending.delete(key));
      this.pending.set(key, lookup);
    }
    const verified = await lookup;
    this.remember(key, verified, now);
    return verified;
  }

  /** Drops every cached answer. */
  clear(): void {
    this.cache.clear();
  }

  private remember(key: string, token: VerifiedToken | undefined, now: number): void {
    if (this.options.cacheMaxAge <= 0) return;
    const until = Math.min(now + this.options.cacheMaxAge, token?.expiresAt ?? Infinity);
    if (until <= now) return;
    if (this.cache.size >= this.maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, { token, until });
  }

  private async introspect(token: string): Promise<VerifiedToken | undefined> {
    let response: Response;
    try {
      response = await fetch(this.options.endpoint, {
        method: 'POST',
        headers: {
          authorization: this.authorization,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw new VerifierUnavailableError(`introspection endpoint unreachable: ${(error as Error).name}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new VerifierUnavailableError(`introspection endpoint answered ${response.status}`);
    }
    let answer: IntrospectionAnswer;
    try {
      answer = (await response.json()) as IntrospectionAnswer;
    } catch {
      throw new VerifierUnavailableError('introspection endpoint answered with malformed JSON');
    }
    return toVerified(answer, this.clock.nowSeconds(), this.options.acceptMissingTokenType === true);
  }
}

/** Verifies tokens by RFC 7662 introspection; `cacheMaxAge` is the worst-case revocation delay. */
export function introspectionVerifier(options: IntrospectionOptions): IntrospectionVerifier {
  return new IntrospectionVerifier(options);
}

/**
 * Reads an RFC 7662 answer. Anything but `active: true` with a `client_id` is inactive; a
 * `token_type` other than Bearer is refused, and so is a missing one unless allowed (a refresh
 * token must not open a resource); an `exp` in the past is refused even when the server says active.
 */
export function toVerified(answer: IntrospectionAnswer, now: number, acceptMissingTokenType = false): VerifiedToken | undefined {
  if (answer.active !== true || typeof answer.client_id !== 'string') return undefined;
  if (answer.token_type === undefined ? !acceptMissingTokenType : String(answer.token_type).toLowerCase() !== 'bearer') return undefined;
  const expiresAt = typeof answer.exp === 'number' ? answer.exp : null;
  if (expiresAt !== null && expiresAt <= now) return undefined;
  return {
    clientId: answer.client_id,
    username: typeof answer.username === 'string' ? answer.username : null,
    scope: typeof answer.scope === 'string' ? answer.scope.split(' ').filter((s) => s !== '') : [],
    expiresAt,
  };
}
