import type { Clock } from '../core/clock.ts';
import type { VerifierLogger } from './failure-report.ts';
import type { VerifierUnavailableError } from './token-verifier.ts';

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
  /**
   * Called with every verification failure (endpoint unreachable or too slow, an answer other
   * than 200, malformed JSON), each of which answers the request `503`. The error's message
   * names the endpoint and what went wrong; it never contains the token or the client secret.
   */
  onError?: (error: VerifierUnavailableError) => void;
  /**
   * Where failures are logged, one line per burst of identical failures (and a line when
   * verification recovers): `console` (the default), a pino logger, anything with `warn` and
   * `error`; `false` logs nothing. Refused credentials and unreadable answers are errors, an
   * unreachable or failing endpoint a warning.
   */
  logger?: VerifierLogger | false;
  clock?: Clock;
}

const OPTION = 'portcullis introspectionVerifier:';

/** Each option a mistake could leave out or mistype, checked in order; returns the endpoint. */
export function checkOptions(options: IntrospectionOptions): URL {
  if (typeof options !== 'object' || options === null) throw new Error(`${OPTION} options { endpoint, clientId, clientSecret, cacheMaxAge } are required`);
  const endpoint = checkEndpoint(options.endpoint);
  checkText(options.clientId, 'clientId');
  checkText(options.clientSecret, 'clientSecret');
  checkNumber(options.cacheMaxAge, 'cacheMaxAge', (n) => n >= 0, 'a number of seconds, 0 or more (the worst-case revocation delay; 0 disables the cache)');
  if (options.timeoutMs !== undefined) checkNumber(options.timeoutMs, 'timeoutMs', (n) => n > 0, 'a number of milliseconds above 0');
  if (options.maxEntries !== undefined) checkNumber(options.maxEntries, 'maxEntries', (n) => Number.isInteger(n) && n > 0, 'a whole number above 0');
  if (options.onError !== undefined && typeof options.onError !== 'function') throw new Error(`${OPTION} \`onError\` must be a function`);
  const logger = options.logger;
  if (logger !== undefined && logger !== false && (typeof logger?.warn !== 'function' || typeof logger.error !== 'function')) {
    throw new Error(`${OPTION} \`logger\` must have warn and error methods (console, a pino logger), or be false`);
  }
  return endpoint;
}

function checkEndpoint(value: unknown): URL {
  if (typeof value !== 'string' || value.trim() === '') throw new Error(`${OPTION} \`endpoint\` is missing: the URL of the RFC 7662 introspection endpoint`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${OPTION} \`endpoint\` is not a URL: give an absolute http: or https: URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${OPTION} \`endpoint\` must be an http: or https: URL, not ${url.protocol}`);
  if (url.username !== '' || url.password !== '') {
    throw new Error(`${OPTION} \`endpoint\` must not carry credentials: give them as clientId and clientSecret`);
  }
  return url;
}

/** The value itself is never quoted: it may be the secret. */
function checkText(value: unknown, name: string): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`${OPTION} \`${name}\` is missing or empty: the credentials of a confidential client allowed to introspect`);
  }
}

function checkNumber(value: unknown, name: string, accepts: (n: number) => boolean, expected: string): void {
  if (typeof value === 'number' && Number.isFinite(value) && accepts(value)) return;
  const got = typeof value === 'string' ? `the string ${JSON.stringify(value)}` : String(value);
  throw new Error(`${OPTION} \`${name}\` must be ${expected}, not ${got}`);
}
