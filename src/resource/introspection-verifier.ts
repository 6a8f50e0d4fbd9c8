import { type Clock, systemClock } from '../core/clock.ts';
import { hashSecret } from '../core/secrets.ts';
import { FailureReport } from './failure-report.ts';
import { checkOptions, type IntrospectionOptions } from './introspection-options.ts';
import { type TokenVerifier, type VerifiedToken, VerifierUnavailableError } from './token-verifier.ts';

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
  // Not lru-cache (its fetch would replace both maps): its TTLs run on performance.now(), its docs advise against another clock, and it still serves an entry at the instant its TTL ends, while `exp` is wall-clock seconds on the injected clock.
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<VerifiedToken | undefined>>();
  private readonly authorization: string;
  private readonly clock: Clock;
  private readonly maxEntries: number;
  private readonly timeoutMs: number;
  /** The endpoint without its query, for messages. */
  private readonly where: string;
  private readonly report: FailureReport;

  /** Throws at once, naming the option, when an option is missing or malformed. */
  constructor(private readonly options: IntrospectionOptions) {
    const endpoint = checkOptions(options);
    this.where = `${endpoint.origin}${endpoint.pathname}`;
    this.report = new FailureReport(options.onError, options.logger === false ? undefined : (options.logger ?? console));
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
      throw this.failure('warn', `introspection endpoint ${this.where} ${this.unreachable(error as Error, token)}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      if (response.status === 401 || response.status === 403) {
        throw this.failure(
          'error',
          `introspection endpoint ${this.where} refused the client credentials (${response.status}): check clientId and clientSecret`,
        );
      }
      throw this.failure(response.status < 500 ? 'error' : 'warn', `introspection endpoint ${this.where} answered ${response.status}`);
    }
    let answer: unknown;
    try {
      answer = await response.json();
    } catch {
      throw this.failure('error', `introspection endpoint ${this.where} answered with malformed JSON`);
    }
    if (typeof answer !== 'object' || answer === null || Array.isArray(answer)) {
      throw this.failure('error', `introspection endpoint ${this.where} answered JSON that is not an object`);
    }
    this.report.succeeded();
    return toVerified(answer, this.clock.nowSeconds(), this.options.acceptMissingTokenType === true);
  }

  /** Why fetch failed, from its cause (`ECONNREFUSED`, `bad port`), and never quoting the token or the secret. */
  private unreachable(error: Error, token: string): string {
    if (error.name === 'TimeoutError') return `did not answer within ${this.timeoutMs} ms`;
    const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
    const safe = detail !== '' && !detail.includes(token) && !detail.includes(this.options.clientSecret) && !detail.includes(this.authorization);
    return `is unreachable (${safe ? detail : error.name})`;
  }

  private failure(level: 'warn' | 'error', message: string): VerifierUnavailableError {
    const error = new VerifierUnavailableError(message);
    this.report.failed(error, level);
    return error;
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
  if (answer.token_type === undefined ? !acceptMissingTokenType : typeof answer.token_type !== 'string' || answer.token_type.toLowerCase() !== 'bearer') return undefined;
  const expiresAt = typeof answer.exp === 'number' ? answer.exp : null;
  if (expiresAt !== null && expiresAt <= now) return undefined;
  return {
    clientId: answer.client_id,
    username: typeof answer.username === 'string' ? answer.username : null,
    scope: typeof answer.scope === 'string' ? answer.scope.split(' ').filter((s) => s !== '') : [],
    expiresAt,
  };
}
