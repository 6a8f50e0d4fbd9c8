import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequest, MethodNotAllowed, NotFound, type OAuthError, TemporarilyUnavailable } from '../core/errors.ts';
import type { Service } from '../core/model.ts';
import { isValidFolderName } from '../core/resource-name.ts';
import { matchTemplate } from '../core/scope-coverage.ts';
import { authorize, bearerToken, pathSegments, verifyBearer } from './access-check.ts';
import { BUILTIN_SERVICES } from './builtins.ts';
import type { ResourceCatalog } from './catalog.ts';
import type { CatalogSnapshot } from './catalog-snapshot.ts';
import type { PrincipalDirectory } from './principals.ts';
import type { ForwardedFacts } from './proxy-headers.ts';
import { ServiceConcurrency } from './service-limits.ts';
import type { TokenVerifier } from './token-verifier.ts';
import type { UpstreamAnswer, UpstreamProxy } from './upstream-proxy.ts';

/** The folder of the authorization server's own `/invoke` aliases; never a protected service. */
const RESERVED_FOLDER = 'pub.oauth';

export interface GatewayDeps {
  verifier: TokenVerifier;
  /**
   * The online check (the store, or introspection) for a token that `verifier` accepted offline
   * (a JWT), asked before calling a service marked `introspect_always`.
   */
  recheck?: TokenVerifier;
  catalog: ResourceCatalog;
  principals: PrincipalDirectory;
  proxy: UpstreamProxy;
  /** The limits of a service that sets none of its own (`resource_server.*`). */
  defaults: { maxConcurrent: number; timeoutMs: number };
}

/** Where a request goes: a stored service (proxied) or a built-in, and the path to send upstream. */
interface Resolved {
  service: string;
  segments: string[];
  /** Methods accepted; empty is any. */
  methods: readonly string[];
  upstream?: Service;
  /** For `/rest/…` templates the request path is appended to the upstream URL; not for `/invoke`. */
  appendPath: boolean;
}

/** What the gateway answers a request that passed every check. */
export type GatewayAnswer =
  /** A built-in service's JSON answer. */
  | { kind: 'builtin'; body: object }
  /** The upstream's answer, its headers arrived, to relay as it is. */
  | { kind: 'upstream'; answer: UpstreamAnswer }
  /** The client went away before the upstream answered: nothing to send. */
  | { kind: 'gone' };

function notFound(): OAuthError {
  return new NotFound('no service at this path');
}

/** Finds the service a path names: `/invoke/folder.sub/name`, or the most specific matching URL template. */
export function resolve(catalog: CatalogSnapshot, method: string, segments: string[]): Resolved {
  if (segments[0] === 'invoke') {
    if (segments.length !== 3 || !isValidFolderName(segments[1]!) || segments[1] === RESERVED_FOLDER) throw notFound();
    const name = `${segments[1]}:${segments[2]}`;
    if (BUILTIN_SERVICES.has(name)) return { service: name, segments, methods: [], appendPath: false };
    const service = catalog.services.get(name);
    if (!service) throw notFound();
    return { service: name, segments, methods: service.methods, upstream: service, appendPath: false };
  }
  for (const route of catalog.routes) {
    if (matchTemplate(route.template, method, segments)) {
      const service = catalog.services.get(route.service)!;
      return { service: route.service, segments, methods: [], upstream: service, appendPath: true };
    }
  }
  throw notFound();
}

/**
 * The upstream URL: the service's URL, plus the request path for templates, plus the query. The
 * path is appended exactly as the client sent it and as `pathSegments` checked it; one the URL
 * parser would rewrite (resolve, re-encode) is refused, so that the upstream never gets a path
 * other than the one the scope check saw.
 */
export function upstreamUrl(service: Service, rawUrl: string, appendPath: boolean): URL {
  const target = new URL(service.upstream);
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = queryAt < 0 ? '' : rawUrl.slice(queryAt);
  if (appendPath) {
    const expected = target.pathname.replace(/\/$/, '') + path;
    target.pathname = expected;
    if (target.pathname !== expected) throw new InvalidRequest('the path cannot be forwarded exactly as it was checked');
  }
  target.search = query;
  return target;
}

/**
 * The resource server's gateway for `/invoke/…` and `/rest/…` (docs/resource-server.md).
 * Framework-free: it takes node's request and response, and throws the error catalogue's errors
 * (src/core/errors.ts) for its caller's error boundary to answer. The order of checks:
 * 1. the bearer token (401, or 503 when it cannot be verified): nothing about services is
 *    revealed to a caller without a valid token;
 * 2. the path and the service it names (400, 404);
 * 3. the token's scope covers it (403 insufficient_scope), then the ACL (403 access_denied);
 * 4. the method the service accepts (405);
 * 5. a place among the service's concurrent calls (503 with `Retry-After` when all are taken);
 * then the built-in answers, or the upstream is called (502, 504 until its headers arrive, within
 * the service's own timeout).
 */
export class Gateway {
  /** Calls in flight per service through this instance. */
  readonly concurrency = new ServiceConcurrency();

  constructor(private readonly deps: GatewayDeps) {}

  /**
   * Checks the request and, when it passes, calls the upstream. Nothing is written to `res`
   * before the answer resolves: the caller writes a built-in's body, or relays the upstream's
   * answer. `facts` are the caller's address, protocol and the public host as the server
   * determined them (trusted proxies applied), stated to the upstream in the forwarding headers.
   * Does NOT drain the request body when it throws.
   */
  async handle(req: IncomingMessage, res: ServerResponse, facts: ForwardedFacts): Promise<GatewayAnswer> {
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    // The authorization server's aliases answer their own methods; anything else there is not a service.
    if (rawUrl.startsWith(`/invoke/${RESERVED_FOLDER}/`)) throw notFound();
    const bearer = bearerToken(req.headers.authorization);
    const token = await verifyBearer(this.deps.verifier, bearer);
    const catalog = await this.deps.catalog.snapshot();
    const resolved = resolve(catalog, method, pathSegments(rawUrl));
    // A service that needs revocation at once does not take an offline verdict (docs/tokens.md).
    if (token.offline && resolved.upstream?.introspectAlways && this.deps.recheck) await verifyBearer(this.deps.recheck, bearer);
    const access = await authorize(catalog, this.deps.principals, token, { service: resolved.service, method, segments: resolved.segments });
    if (resolved.methods.length > 0 && !resolved.methods.includes(method)) throw new MethodNotAllowed(undefined, { allow: resolved.methods });

    const builtin = BUILTIN_SERVICES.get(resolved.service);
    if (builtin) {
      req.resume();
      return { kind: 'builtin', body: builtin(access) };
    }
    const upstream = resolved.upstream!;
    const target = upstreamUrl(upstream, rawUrl, resolved.appendPath);
    // A place is held until the answer is over (relayed, failed, or the client gone), not just until its headers.
    const place = this.concurrency.tryAcquire(upstream.name, upstream.maxConcurrent ?? this.deps.defaults.maxConcurrent);
    if (!place) throw new TemporarilyUnavailable('the service is busy: too many calls to it are in flight', { retryAfterSeconds: 1 });
    res.once('close', place);
    try {
      const answer = await this.deps.proxy.forward(req, res, target, access, facts, upstream.timeoutMs ?? this.deps.defaults.timeoutMs);
      return answer ? { kind: 'upstream', answer } : { kind: 'gone' };
    } catch (error) {
      place();
      throw error;
    }
  }
}
