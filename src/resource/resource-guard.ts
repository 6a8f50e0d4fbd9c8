import type { IncomingMessage } from 'node:http';
import { InsufficientScope } from '../core/errors.ts';
import { type Access, authenticate, authorize, pathSegments, type PrincipalSource } from './access-check.ts';
import type { CatalogSource } from './catalog-snapshot.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** Scopes, ACLs and group memberships, from a Portcullis store (`storeAuthorizer(store)` in `portcullis/resource`). */
export interface Authorizer {
  catalog: CatalogSource;
  principals: PrincipalSource;
}

export interface GuardOptions {
  /** Where tokens are checked: `introspectionVerifier({...})`, or `localVerifier(store)` from `portcullis/resource`. */
  verifier: TokenVerifier;
  /**
   * With an authorizer the request gets the gateway's full check: the token's scopes must cover
   * it (as `service`, or by a URL template matching its method and path), and the caller must pass
   * the nearest ACL of `service`.
   */
  authorizer?: Authorizer;
  /** The service `folder.sub:name` these routes are; needs `authorizer`. */
  service?: string;
  /** Without a store: the token must carry at least one of these scope names. */
  scopes?: string[];
}

/**
 * The resource server's check for your own routes, framework-free. Without `authorizer` and
 * `scopes` it checks only that the token is a live access token: say what a route needs.
 */
export class ResourceGuard {
  constructor(private readonly options: GuardOptions) {
    if (options.service !== undefined && !options.authorizer) {
      throw new Error('portcullis guard: `service` needs an `authorizer` (storeAuthorizer(store)) to know its scopes and ACLs');
    }
  }

  /**
   * Resolves to the caller's access, or rejects with an `OAuthError` (exported as `ResourceDenial`
   * too) whose `status`, `headers` and `body` are the answer to send, as docs/errors.md lists them.
   */
  async check(request: Pick<IncomingMessage, 'headers' | 'method' | 'url'>): Promise<Access> {
    const token = await authenticate(this.options.verifier, request.headers.authorization);
    const { scopes, authorizer } = this.options;
    if (scopes && !token.scope.some((name) => scopes.includes(name))) throw new InsufficientScope(undefined, { scope: scopes });
    if (!authorizer) return { token, user: token.username };
    const segments = pathSegments(request.url ?? '/');
    const catalog = await authorizer.catalog.snapshot();
    return authorize(catalog, authorizer.principals, token, {
      service: this.options.service ?? '',
      method: request.method ?? 'GET',
      segments,
    });
  }
}
