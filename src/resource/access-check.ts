import { aclAllows, nearestAcl } from '../core/acl.ts';
import { readBearer } from '../core/bearer-token.ts';
import { AccessDenied, InsufficientScope, InvalidRequest, InvalidToken, TemporarilyUnavailable, Unauthorized } from '../core/errors.ts';
import { type CoverageTarget, parsePath, scopesCover } from '../core/scope-coverage.ts';
import type { CatalogSnapshot } from './catalog-snapshot.ts';
import { type TokenVerifier, type VerifiedToken, VerifierUnavailableError } from './token-verifier.ts';

/** A request that passed: who the token speaks for, as sent upstream in `X-Portcullis-*`. */
export interface Access {
  token: VerifiedToken;
  /** The resource owner, or the client's service-account user; `null` when there is neither. */
  user: string | null;
}

/**
 * The resource owner an ACL is checked against: the token's user, or for a `client_credentials`
 * token the client's service-account user. `groups` is `undefined` when there is no such user
 * (a client without a service user, or a user deleted since), which passes only where no ACL applies.
 */
export interface Principal {
  user: string | null;
  groups: string[] | undefined;
}

/** Who a token speaks for, with their groups (from the Portcullis store: `PrincipalDirectory`). */
export interface PrincipalSource {
  resolve(token: VerifiedToken): Promise<Principal>;
}

/** The realm of the resource server's challenge to a request without a token (RFC 6750 §3). */
const REALM = 'portcullis';

/**
 * Reads and verifies the bearer token. Only the Authorization header is accepted: tokens in
 * query strings end up in logs (RFC 6750 §2.3 discourages them), and form bodies are the
 * upstream's. A missing token is `unauthorized` (a challenge without an error code, RFC 6750
 * §3.1); an invalid, expired or revoked one is `invalid_token`, the same answer for each, so that
 * nothing is learnt about the token; a verifier that cannot answer is `temporarily_unavailable`,
 * never `invalid_token`. Does NOT check scope or ACL.
 * @see RFC 6750 §2.1, §3.1
 */
export async function authenticate(verifier: TokenVerifier, authorization: string | undefined): Promise<VerifiedToken> {
  return verifyBearer(verifier, bearerToken(authorization));
}

/** The token of an `Authorization: Bearer` header (RFC 6750 §2.1); refuses a missing or malformed one. */
export function bearerToken(authorization: string | undefined): string {
  const bearer = readBearer(authorization);
  if (bearer.kind === 'absent') throw new Unauthorized(undefined, { realm: REALM });
  if (bearer.kind === 'malformed') throw new InvalidToken();
  return bearer.token;
}

/** Verifies a bearer token: `invalid_token` when the verifier does not vouch for it, 503 when it cannot answer. */
export async function verifyBearer(verifier: TokenVerifier, bearer: string): Promise<VerifiedToken> {
  let token: VerifiedToken | undefined;
  try {
    token = await verifier.verify(bearer);
  } catch (error) {
    if (error instanceof VerifierUnavailableError) throw new TemporarilyUnavailable(undefined, { cause: error });
    throw error;
  }
  if (!token) throw new InvalidToken();
  return token;
}

/**
 * The segments of a request's path, without its query string; a path with an empty, dot or
 * malformed segment is refused, never resolved (docs/resource-server.md "Scope coverage").
 */
export function pathSegments(rawUrl: string): string[] {
  const queryAt = rawUrl.indexOf('?');
  const segments = parsePath(queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt));
  if (!segments) throw new InvalidRequest('the path has an empty, dot or malformed segment');
  return segments;
}

/** The scopes that would cover the target, for the `scope` attribute of `insufficient_scope`. */
export function coveringScopes(catalog: CatalogSnapshot, target: CoverageTarget): string[] {
  return [...catalog.coverage].filter(([, coverage]) => coverage.covers(target)).map(([name]) => name);
}

/**
 * Scope first, then ACL (docs/resource-server.md): the token's scopes must cover the target, and the resource
 * owner (or the client's service-account user) must pass the nearest ACL up the folder chain.
 * Group memberships are looked up only when an ACL applies.
 */
export async function authorize(
  catalog: CatalogSnapshot,
  principals: PrincipalSource,
  token: VerifiedToken,
  target: CoverageTarget,
): Promise<Access> {
  if (!scopesCover(token.scope, catalog.coverage, target)) throw new InsufficientScope(undefined, { scope: coveringScopes(catalog, target) });
  const acl = target.service === '' ? undefined : nearestAcl(target.service, catalog.acls);
  if (!acl) {
    if (token.username !== null) return { token, user: token.username };
    // No ACL to pass, but the client's service user is still who the call is made as.
    return { token, user: (await principals.resolve(token)).user };
  }
  const principal = await principals.resolve(token);
  if (!aclAllows(acl, principal.groups)) throw new AccessDenied();
  return { token, user: principal.user };
}
