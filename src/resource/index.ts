/**
 * The resource-server library for your own Node services: the same check as the Portcullis
 * gateway (token, scope coverage, ACL), as a Fastify plugin or a plain `(req, res, next)`
 * middleware, verifying tokens in a Portcullis store or by RFC 7662 introspection.
 *
 * ```ts
 * import { portcullisFastify, introspectionVerifier } from 'portcullis/resource';
 * await app.register(portcullisFastify, {
 *   verifier: introspectionVerifier({ endpoint, clientId, clientSecret, cacheMaxAge: 30 }),
 *   scopes: ['orders'],
 * });
 * ```
 */
import { type Clock, systemClock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';
import { ResourceCatalog } from './catalog.ts';
import { IntrospectionVerifier, type IntrospectionOptions } from './introspection-verifier.ts';
import { LocalTokenVerifier } from './local-verifier.ts';
import { PrincipalDirectory } from './principals.ts';
import type { Authorizer } from './resource-guard.ts';

export type { Access } from './access-check.ts';
// One error type for every refusal; `ResourceDenial` is its earlier name here, kept for `instanceof`.
export { type ErrorBody, type ErrorCode, OAuthError, OAuthError as ResourceDenial } from '../core/errors.ts';
export type { IntrospectionOptions } from './introspection-verifier.ts';
export { portcullisMiddleware, type ProtectedRequest } from './middleware.ts';
export { type Authorizer, type GuardOptions, ResourceGuard } from './resource-guard.ts';
export type { TokenVerifier, VerifiedToken } from './token-verifier.ts';
export { portcullisFastify } from '../http/fastify-plugin.ts';
export { openStore } from '../store/open-store.ts';

/** Verifies tokens in the Portcullis store itself (same database as the authorization server). */
export function localVerifier(store: Store, clock: Clock = systemClock): LocalTokenVerifier {
  return new LocalTokenVerifier(store, clock);
}

/** Verifies tokens by RFC 7662 introspection; `cacheMaxAge` is the worst-case revocation delay. */
export function introspectionVerifier(options: IntrospectionOptions): IntrospectionVerifier {
  return new IntrospectionVerifier(options);
}

/** Scopes, ACLs and groups from a Portcullis store, reloaded at most every `maxAgeSeconds`. */
export function storeAuthorizer(store: Store, options: { maxAgeSeconds?: number; clock?: Clock } = {}): Authorizer {
  const clock = options.clock ?? systemClock;
  const maxAge = options.maxAgeSeconds ?? 5;
  return { catalog: new ResourceCatalog(store, clock, maxAge), principals: new PrincipalDirectory(store, clock, maxAge) };
}
