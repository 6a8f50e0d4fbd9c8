/**
 * The resource-server library, published as `@portcullis/resource`: the same check as the
 * Portcullis gateway (bearer token, then scopes) for your own Node services, as a Fastify plugin,
 * a plain `(req, res, next)` middleware or a framework-free guard, verifying JWT access tokens
 * (RFC 9068) offline against the published keys and opaque ones by RFC 7662 introspection.
 * Nothing here needs the Portcullis database, Fastify or any other package (jose is bundled in):
 * the store-backed pieces (`localVerifier`, `storeAuthorizer`, `openStore`) are in `portcullis/resource`.
 *
 * ```js
 * import { introspectionVerifier, portcullisMiddleware } from '@portcullis/resource';
 * const guard = portcullisMiddleware({
 *   verifier: introspectionVerifier({ endpoint, clientId, clientSecret, cacheMaxAge: 30 }),
 *   scopes: ['orders'],
 * });
 * ```
 */
export type { Access } from './access-check.ts';
// One error type for every refusal; `ResourceDenial` is its earlier name here, kept for `instanceof`.
export { type ErrorBody, type ErrorCode, OAuthError, OAuthError as ResourceDenial } from '../core/errors.ts';
export { portcullisFastify } from './fastify-plugin.ts';
export type { VerifierLogger } from './failure-report.ts';
export type { IntrospectionOptions } from './introspection-options.ts';
export { IntrospectionVerifier, introspectionVerifier } from './introspection-verifier.ts';
export { JwtOrOpaqueVerifier, jwtOrOpaqueVerifier, JwtVerifier, jwtVerifier, type JwtVerifierOptions, type KeyLookup } from './jwt-verifier.ts';
export { portcullisMiddleware, type ProtectedRequest } from './middleware.ts';
export { type Authorizer, type GuardOptions, ResourceGuard } from './resource-guard.ts';
export { type TokenVerifier, type VerifiedToken, VerifierUnavailableError } from './token-verifier.ts';
