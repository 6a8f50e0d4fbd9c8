import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { Access } from './access-check.ts';

/**
 * The header rules of the gateway (docs/resource-server.md "Headers"), both ways:
 * what a client may send on to an upstream, what the gateway states itself, and which of the
 * upstream's headers may reach the client on Portcullis's origin.
 */

/** RFC 9110 §7.6.1: connection-specific headers, never forwarded by a proxy. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Headers the gateway states itself (besides `X-Portcullis-*` and `X-Forwarded-*`). */
const OWNED = new Set(['authorization', 'host', 'forwarded', 'x-real-ip']);

/**
 * A header name as an upstream may read it: lower case, `_` as `-`. CGI and WSGI servers (and
 * Puma, CVE-2024-45614) turn both `X-Portcullis-User` and `X_Portcullis_User` into
 * `HTTP_X_PORTCULLIS_USER`, so a rule that looked only at the spelling with `-` could be passed
 * by writing `_`.
 */
function canonicalHeaderName(name: string): string {
  return name.toLowerCase().replace(/_/g, '-');
}

/** Request headers the gateway owns (by canonical name): the credential stays here, identity and forwarding facts are ours to state. */
function ownedCanonical(canonical: string): boolean {
  return OWNED.has(canonical) || canonical.startsWith('x-portcullis-') || canonical.startsWith('x-forwarded-');
}

/** Headers named in `Connection` are hop-by-hop too (RFC 9110 §7.6.1). */
function connectionListed(headers: IncomingHttpHeaders): Set<string> {
  return new Set(
    (headers.connection ?? '')
      .split(',')
      .map((token) => canonicalHeaderName(token.trim()))
      .filter((token) => token !== ''),
  );
}

/** Header values are Latin-1 on the wire; a non-ASCII username is sent percent-encoded. */
function headerSafe(value: string): string {
  return /^[\x20-\x7e]*$/.test(value) ? value : encodeURIComponent(value);
}

/** What the server knows about the request it received, trusted proxies applied (docs/security.md). */
export interface ForwardedFacts {
  /** The client's address. */
  ip: string;
  /** Whether the client's request came over HTTPS. */
  https: boolean;
  /** The public host (`host[:port]`) of the configured issuer URL, never the request's `Host`. */
  host: string;
}

/** RFC 7239 §4: a value that is not a token is quoted; an IPv6 address is written in brackets. */
function forwardedValue(value: string, isAddress = false): string {
  const written = isAddress && value.includes(':') ? `[${value}]` : value;
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(written) ? written : `"${written.replace(/["\\]/g, '\\$&')}"`;
}

/**
 * The headers sent upstream: the client's, without hop-by-hop headers (also when spelled with
 * `_`) and without anything the gateway owns, then the gateway's own: `Host` (the upstream's),
 * the forwarding headers, all five from the same facts (`Forwarded`, `X-Forwarded-For`,
 * `X-Forwarded-Proto`, `X-Forwarded-Host`, `X-Real-IP`), and `X-Portcullis-*`.
 */
export function upstreamRequestHeaders(headers: IncomingHttpHeaders, target: URL, access: Access, facts: ForwardedFacts): OutgoingHttpHeaders {
  const skip = connectionListed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const canonical = canonicalHeaderName(name);
    if (value === undefined || HOP_BY_HOP.has(canonical) || skip.has(canonical) || ownedCanonical(canonical)) continue;
    out[name] = value;
  }
  if (headers['transfer-encoding'] !== undefined) out['transfer-encoding'] = 'chunked';
  out.host = target.host;
  const proto = facts.https ? 'https' : 'http';
  out.forwarded = `for=${forwardedValue(facts.ip, true)};proto=${proto};host=${forwardedValue(facts.host)}`;
  out['x-forwarded-for'] = facts.ip;
  out['x-forwarded-proto'] = proto;
  out['x-forwarded-host'] = facts.host;
  out['x-real-ip'] = facts.ip;
  if (access.user !== null) out['x-portcullis-user'] = headerSafe(access.user);
  out['x-portcullis-client'] = headerSafe(access.token.clientId);
  out['x-portcullis-scope'] = access.token.scope.join(' ');
  return out;
}

/**
 * Whether a `Set-Cookie` from an upstream would set or clear one of Portcullis's own cookies: any
 * name starting with `portcullis` (the console's `portcullis_admin`, the sign-in pages'
 * `portcullis-session`, with or without `__Host-`/`__Secure-`, in any case or with `_` for `-`),
 * or any cookie whose `Path` is `/admin` or below it. Upstreams share Portcullis's origin, so
 * without this one could fix or end an administrator's session.
 */
function isReservedCookie(setCookie: string): boolean {
  const [pair = '', ...attributes] = setCookie.split(';');
  const equals = pair.indexOf('=');
  const name = canonicalHeaderName((equals < 0 ? pair : pair.slice(0, equals)).trim().replace(/^__(host|secure)-/i, ''));
  if (name.startsWith('portcullis')) return true;
  return attributes.some((attribute) => {
    const at = attribute.indexOf('=');
    if (at < 0 || attribute.slice(0, at).trim().toLowerCase() !== 'path') return false;
    const path = attribute.slice(at + 1).trim().toLowerCase();
    return path === '/admin' || path.startsWith('/admin/');
  });
}

/** The upstream's answer headers as relayed: hop-by-hop ones dropped (RFC 9110 §7.6.1), reserved cookies removed. */
export function clientResponseHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const skip = connectionListed(headers);
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || skip.has(canonicalHeaderName(name))) continue;
    if (name === 'set-cookie') {
      const kept = (value as string[]).filter((cookie) => !isReservedCookie(cookie));
      if (kept.length > 0) out[name] = kept;
      continue;
    }
    out[name] = value;
  }
  return out;
}
