import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Service } from '../core/model.ts';
import { isValidFolderName } from '../core/resource-name.ts';
import { matchTemplate, parsePath } from '../core/scope-coverage.ts';
import { type Access, authenticate, authorize } from './access-check.ts';
import { BUILTIN_SERVICES } from './builtins.ts';
import type { ResourceCatalog } from './catalog.ts';
import type { CatalogSnapshot } from './catalog-snapshot.ts';
import { ResourceDenial } from './denial.ts';
import { writeJson } from './json-response.ts';
import type { PrincipalDirectory } from './principals.ts';
import type { TokenVerifier } from './token-verifier.ts';
import type { UpstreamProxy } from './upstream-proxy.ts';

/** The folder of the authorization server's own `/invoke` aliases; never a protected service. */
const RESERVED_FOLDER = 'pub.oauth';

export interface GatewayDeps {
  verifier: TokenVerifier;
  catalog: ResourceCatalog;
  principals: PrincipalDirectory;
  proxy: UpstreamProxy;
  logger?: Logger;
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

function notFound(): ResourceDenial {
  return new ResourceDenial(404, { error: 'not_found', error_description: 'no service at this path' });
}

/** Finds the service a path names: `/invoke/folder.sub/name`, or the most specific matching URL template. */
export function resolve(catalog: CatalogSnapshot, method: string, path: string): Resolved {
  const segments = parsePath(path);
  if (!segments) {
    throw new ResourceDenial(400, { error: 'invalid_request', error_description: 'the path has an empty, dot or malformed segment' });
  }
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

/** The upstream URL: the service's URL, plus the request path for templates, plus the query. */
export function upstreamUrl(service: Service, rawUrl: string, appendPath: boolean): URL {
  const target = new URL(service.upstream);
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const query = queryAt < 0 ? '' : rawUrl.slice(queryAt);
  if (appendPath) target.pathname = target.pathname.replace(/\/$/, '') + path;
  target.search = query;
  return target;
}

/**
 * The resource server's gateway for `/invoke/…` and `/rest/…` (docs/resource-server.md).
 * Framework-free: it takes node's request and response. The order of checks:
 * 1. the bearer token (401): nothing about services is revealed to a caller without a valid token;
 * 2. the path and the service it names (400, 404);
 * 3. the token's scope covers it (403 insufficient_scope), then the ACL (403 access_denied);
 * 4. the method the service accepts (405);
 * then the built-in answers, or the upstream is called.
 */
export class Gateway {
  constructor(private readonly deps: GatewayDeps) {}

  /** `clientIp` is the caller's address as the server determined it (trusted proxies applied); default the socket's. */
  async handle(req: IncomingMessage, res: ServerResponse, clientIp?: string): Promise<void> {
    let access: Access;
    let resolved: Resolved;
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    if (rawUrl.startsWith(`/invoke/${RESERVED_FOLDER}/`)) {
      // The authorization server's aliases answer their own methods; anything else there is not a service.
      req.resume();
      writeJson(res, 404, notFound().body);
      return;
    }
    try {
      const token = await authenticate(this.deps.verifier, req.headers.authorization);
      const catalog = await this.deps.catalog.snapshot();
      const queryAt = rawUrl.indexOf('?');
      resolved = resolve(catalog, method, queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt));
      access = await authorize(catalog, this.deps.principals, token, { service: resolved.service, method, segments: resolved.segments });
      if (resolved.methods.length > 0 && !resolved.methods.includes(method)) {
        throw new ResourceDenial(405, { error: 'method_not_allowed' }, { Allow: resolved.methods.join(', ') });
      }
    } catch (error) {
      if (error instanceof ResourceDenial) {
        // The unread request body would otherwise sit in the socket of a kept-alive connection.
        req.resume();
        writeJson(res, error.status, error.body, error.headers);
        return;
      }
      this.deps.logger?.error({ err: error }, 'gateway failure');
      req.resume();
      writeJson(res, 500, { error: 'server_error' });
      return;
    }

    const builtin = BUILTIN_SERVICES.get(resolved.service);
    if (builtin) {
      req.resume();
      writeJson(res, 200, builtin(access), { 'cache-control': 'no-store' });
      return;
    }
    try {
      await this.deps.proxy.forward(req, res, upstreamUrl(resolved.upstream!, rawUrl, resolved.appendPath), access, clientIp);
    } catch (error) {
      this.deps.logger?.error({ err: error }, 'gateway failure');
      if (res.headersSent) res.destroy();
      else writeJson(res, 500, { error: 'server_error' });
    }
  }
}
