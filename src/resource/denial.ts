/**
 * A refusal by the resource server, with the exact status, headers and JSON body of docs/resource-server.md
 * "Resource server". The gateway, the middleware and the Fastify plugin all write it the same way.
 */
export class ResourceDenial extends Error {
  override name = 'ResourceDenial';

  constructor(
    readonly status: number,
    readonly body: { error: string; error_description?: string },
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error);
  }
}

export const REALM = 'portcullis';

/** RFC 6750 §3.1: a request without credentials gets a challenge without an error code. */
export function missingToken(): ResourceDenial {
  return new ResourceDenial(
    401,
    { error: 'unauthorized', error_description: 'a bearer token is required' },
    { 'WWW-Authenticate': `Bearer realm="${REALM}"` },
  );
}

/** Invalid, expired or revoked token; the same answer for each, so nothing is learnt about the token. */
export function invalidToken(): ResourceDenial {
  return new ResourceDenial(
    401,
    { error: 'invalid_token', error_description: 'the access token is invalid, expired or revoked' },
    { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
  );
}

/** `needed` lists the scopes that would cover the request (RFC 6750 §3: `scope` attribute). */
export function insufficientScope(needed: string[]): ResourceDenial {
  const challenge = needed.length > 0 ? `Bearer error="insufficient_scope", scope="${needed.join(' ')}"` : 'Bearer error="insufficient_scope"';
  return new ResourceDenial(
    403,
    { error: 'insufficient_scope', error_description: 'the token does not have a scope that covers this service' },
    { 'WWW-Authenticate': challenge },
  );
}

export function accessDenied(): ResourceDenial {
  return new ResourceDenial(403, { error: 'access_denied' });
}

/** The token source cannot answer; the caller should retry, and must not think the token bad. */
export function verifierUnavailable(): ResourceDenial {
  return new ResourceDenial(
    503,
    { error: 'temporarily_unavailable', error_description: 'the token cannot be verified right now' },
    { 'Retry-After': '1' },
  );
}
