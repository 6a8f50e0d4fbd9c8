/**
 * Redirect URIs (RFC 6749 §3.1.2): what a client may register, and when a request's redirect URI is
 * one of the registered ones. Matching is by exact string (RFC 9700 §4.1.3), except that a loopback
 * IP redirect may use any port (RFC 8252 §7.3): a native app listens on whatever port is free.
 */

const MAX_LENGTH = 2000;
/** RFC 8252 §7.3 names the IP literals; `localhost` is accepted too, but matched exactly (port included). */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);
/** A loopback IP literal redirect, split around its port: `http://127.0.0.1` `:8080` `/cb?x`. */
const LOOPBACK_IP = /^(http:\/\/(?:127\.0\.0\.1|\[::1\]))(?::\d{1,5})?([/?].*)?$/;

/**
 * Why `uri` cannot be registered, or `undefined` when it can: an absolute URI without a fragment or
 * user info, and either `https`, `http` to a loopback address (RFC 8252 §7.3), or a private-use
 * scheme named after a domain the app owns, such as `com.example.app:/callback` (RFC 8252 §7.1).
 * Does NOT check that the client owns the host or scheme.
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length === 0 || uri.length > MAX_LENGTH) return `a redirect URI has 1 to ${MAX_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are what it refuses
  if (/[\s\x00-\x1f\x7f]/.test(uri)) return 'a redirect URI must not contain spaces or control characters';
  if (uri.includes('#')) return 'a redirect URI must not have a fragment (RFC 6749 §3.1.2)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return `${uri} is not an absolute URI`;
  }
  if (url.username !== '' || url.password !== '') return 'a redirect URI must not carry user information';
  const scheme = url.protocol.slice(0, -1);
  if (scheme === 'https') return url.host === '' ? `${uri} has no host` : undefined;
  if (scheme === 'http') {
    return LOOPBACK_HOSTS.has(url.hostname) ? undefined : 'http redirect URIs are allowed only to 127.0.0.1, [::1] or localhost; use https';
  }
  // RFC 8252 §7.1: a private-use scheme is a reverse domain name, which keeps javascript:, data:,
  // file: and every other well-known scheme out.
  if (!scheme.includes('.')) return `${uri} must be https, http to a loopback address, or a private-use scheme such as com.example.app:/callback`;
  return undefined;
}

/**
 * Whether `requested` is one of `registered`: the same string, or, for a loopback IP literal
 * (`http://127.0.0.1`, `http://[::1]`), the same string but for the port (RFC 8252 §7.3).
 */
export function isRegisteredRedirectUri(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  const loopback = LOOPBACK_IP.exec(requested);
  if (!loopback) return false;
  const portless = `${loopback[1]}${loopback[2] ?? ''}`;
  return registered.some((uri) => {
    const match = LOOPBACK_IP.exec(uri);
    return match !== null && `${match[1]}${match[2] ?? ''}` === portless;
  });
}

/**
 * The Content-Security-Policy source that allows a form to lead to `uri` (`form-action` covers the
 * redirect that follows a form's submission): its origin, or its scheme for a private-use URI.
 * Only for URIs that passed `redirectUriProblem`.
 */
export function redirectUriSource(uri: string): string {
  const url = new URL(uri);
  // CSP host sources have no syntax for IPv6 literals: http://[::1] can only be allowed by scheme.
  if (url.hostname.startsWith('[')) return url.protocol;
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : url.protocol;
}
