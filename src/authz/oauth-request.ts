/**
 * What the OAuth endpoints need from an HTTP request, free of any web framework: the form
 * parameters, the `Authorization` header, and the transport facts the checks depend on.
 */
export interface OAuthRequest {
  /** Set when the body was not `application/x-www-form-urlencoded`. */
  formError?: string;
  /** A JSON body, for the one endpoint that takes JSON (`/oauth/mfa/associate`, in Auth0's shape); otherwise absent. */
  json?: unknown;
  params: Record<string, string>;
  /** Names of parameters that appeared more than once (RFC 6749 §3.2: must not). */
  repeated: string[];
  authorization: string | undefined;
  /** HTTPS, directly or per a trusted proxy. */
  secure: boolean;
  /** The client's address: the socket peer, or the forwarded one from a trusted proxy. */
  ip: string;
}

export interface ParsedForm {
  params: Record<string, string>;
  repeated: string[];
}

/** Parses an `application/x-www-form-urlencoded` body, remembering repeated names. */
export function parseForm(body: string): ParsedForm {
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const repeated = new Set<string>();
  for (const [name, value] of new URLSearchParams(body)) {
    if (name in params) repeated.add(name);
    else params[name] = value;
  }
  return { params, repeated: [...repeated] };
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3})$/;

/** Loopback clients count as secure, as browsers treat localhost (docs/security.md). */
export function isLoopback(ip: string): boolean {
  return LOOPBACK.test(ip);
}
