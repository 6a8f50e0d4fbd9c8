/**
 * `portcullis/resource`: the resource-server library (`./library.ts`, also published on its own
 * as `@portcullis/resource`), plus what needs the Portcullis database: verifying tokens in the
 * store and taking scopes, ACLs and groups from it.
 *
 * ```ts
 * import { localVerifier, openStore, portcullisFastify, storeAuthorizer } from 'portcullis/resource';
 * const store = await openStore({ db: './data/portcullis.db' });
 * await app.register(portcullisFastify, {
 *   verifier: localVerifier(store),
 *   authorizer: storeAuthorizer(store),
 *   service: 'orders.v1:list',
 * });
 * ```
 */
import { type Clock, systemClock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';
import type { Access } from './access-check.ts';
import { ResourceCatalog } from './catalog.ts';
import { LocalTokenVerifier } from './local-verifier.ts';
import { PrincipalDirectory } from './principals.ts';
import type { Authorizer } from './resource-guard.ts';

export * from './library.ts';
export { openStore } from '../store/open-store.ts';

// This package depends on Fastify, so its types may say what the plugin adds to a request.
declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Portcullis plugin when the request passed the check. */
    portcullis: Access | null;
  }
}

/** Verifies tokens in the Portcullis store itself (same database as the authorization server). */
export function localVerifier(store: Store, clock: Clock = systemClock): LocalTokenVerifier {
  return new LocalTokenVerifier(store, clock);
}

/** Scopes, ACLs and groups from a Portcullis store, reloaded at most every `maxAgeSeconds`. */
export function storeAuthorizer(store: Store, options: { maxAgeSeconds?: number; clock?: Clock } = {}): Authorizer {
  const clock = options.clock ?? systemClock;
  const maxAge = options.maxAgeSeconds ?? 5;
  return { catalog: new ResourceCatalog(store, clock, maxAge), principals: new PrincipalDirectory(store, clock, maxAge) };
}
