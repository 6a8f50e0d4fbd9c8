import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AdminOptions, adminRoutes } from './admin-routes.ts';
import { authorizeRoutes } from './authorize-routes.ts';
import type { AuthzContext } from '../authz/context.ts';
import { normalizeAddress } from '../core/client-address.ts';
import { InvalidRequest, NotFound } from '../core/errors.ts';
import type { Gateway } from '../resource/gateway.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from '../config/config.ts';
import { connectionsCheckingInterval, limitConnections } from './connection-limits.ts';
import { errorBoundary } from './error-boundary.ts';
import { Metrics, registerMetrics } from './metrics.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { addSecurityHeaders, writeSecurityHeaders } from './security-headers.ts';
import { resourceRoutes } from './resource-routes.ts';
import { RequestLogController, requestLogger } from './request-log.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** `request.ip` normalised (src/core/client-address.ts); set before every handler. */
    clientIp: string;
  }
}

export interface ServerOptions {
  ctx: AuthzContext;
  logger: Logger;
  /** Addresses or CIDRs of reverse proxies whose `X-Forwarded-*` headers are believed. */
  trustedProxies?: string[];
  https?: { cert: Buffer; key: Buffer };
  /** The admin API and console (/admin). */
  admin?: AdminOptions;
  /** The resource server's gateway for `/invoke/…` and `/rest/…`. */
  gateway?: Gateway;
  /**
   * Whether this instance is an authorization server (the OAuth endpoints and /admin); false for a
   * resource server that verifies tokens by introspection. Default true.
   */
  authorizationServer?: boolean;
  /** Where the instance's metrics go; a fresh set when absent. */
  metrics?: Metrics;
  /** Timeouts and connection caps; the defaults when absent. */
  limits?: HttpLimits;
  /** When set, `GET /metrics` requires it as a bearer token. */
  metricsToken?: string | undefined;
  /** Under `serve --workers N`, this worker's number, sent as `X-Portcullis-Worker` on every answer (docs/deployment.md). */
  worker?: number;
}

/** The OAuth routes cap their forms far lower (16 KiB); this is the ceiling for every other route. */
const BODY_LIMIT = 512 * 1024;

/** Builds the HTTP server: the only place that wires Fastify to the protocol logic. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  // Every error answer of every route below, the admin API and the gateway included, leaves here.
  const metrics = options.metrics ?? new Metrics();
  const boundary = errorBoundary(metrics);
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const app = Fastify({
    loggerInstance: options.logger,
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    https: options.https ?? null,
    return503OnClosing: true,
    bodyLimit: BODY_LIMIT,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    logController: new RequestLogController(),
    childLoggerFactory: requestLogger,
    // A URL Fastify cannot route (a malformed escape such as `/admin/%ff`) gets our answer, not FST_ERR_BAD_URL echoing it.
    frameworkErrors: (error, request, reply) => {
      // No route, so no onSend hook: the headers of every answer are written here.
      writeSecurityHeaders(request.raw, reply.raw, request.protocol === 'https');
      void boundary(error, request, reply);
    },
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = limits.headersTimeoutMs;
  // Node reads it when it starts listening: the timeouts are checked this often (docs/security.md).
  (app.server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = connectionsCheckingInterval(limits);
  limitConnections(app.server, limits, options.trustedProxies ?? []);
  addSecurityHeaders(app);

  app.setErrorHandler(boundary);
  app.setNotFoundHandler(() => {
    throw new NotFound();
  });

  // The client's address in its one spelling (trusted proxies applied): what the throttle counts and
  // the audit records. A forwarded value that is not an IP address is refused, never stored.
  app.decorateRequest('clientIp', '');
  const worker = options.worker === undefined ? undefined : String(options.worker);
  app.addHook('onRequest', (request, reply, done) => {
    if (worker !== undefined) reply.header('x-portcullis-worker', worker);
    const address = normalizeAddress(request.ip);
    if (address === null) {
      done(new InvalidRequest('the forwarded client address is not an IP address'));
      return;
    }
    request.clientIp = address;
    done();
  });

  const authorizationServer = options.authorizationServer !== false;
  // What a first visitor (or a curl) finds at the root: where to go next.
  app.get('/', async () => {
    const issuer = options.ctx.issuer;
    return {
      name: 'Portcullis',
      role: authorizationServer ? 'authorization server and resource server' : 'resource server (tokens verified by introspection)',
      ...(authorizationServer
        ? {
            issuer,
            metadata: `${issuer}/.well-known/oauth-authorization-server`,
            token_endpoint: `${issuer}/oauth/token`,
            console: `${issuer}/admin/`,
          }
        : {}),
      services: ['/invoke/{folder}/{service}', '/rest/…'],
      health: '/healthz',
      readiness: '/readyz',
      metrics: '/metrics',
    };
  });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    let ready = true;
    try {
      await options.ctx.store.ping();
    } catch {
      ready = false;
    }
    // The directory is reported, not required (local users work without it), unless a setting says so;
    // its state is the one known now, so that a slow directory cannot make /readyz slow.
    const directory = options.ctx.directory;
    let reported: { status: string; since: string | null; required: boolean } | undefined;
    if (directory) {
      const state = directory.directory.stateNow();
      const required = directory.directory.config.requiredForReadiness;
      reported = { status: state.status, since: state.since === null ? null : new Date(state.since * 1000).toISOString(), required };
      if (required && state.status !== 'up') ready = false;
    }
    if (!ready) reply.code(503);
    return { status: ready ? 'ready' : 'unavailable', ...(reported ? { directory: reported } : {}) };
  });

  // Graceful shutdown: a response sent while closing ends its keep-alive connection, so that
  // close() finishes with the last in-flight request instead of waiting out the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    done(null, payload);
  });

  // Once a request is read (body included), its reads must see every commit made before it,
  // also by the CLI or another process: the SQLite store re-checks its caches (ReadCaches).
  app.addHook('preHandler', (_request, _reply, done) => {
    options.ctx.store.startRequest?.();
    done();
  });

  registerMetrics(app, metrics, options.metricsToken);
  if (authorizationServer) {
    await app.register(oauthRoutes, { ctx: options.ctx, metrics });
    await app.register(authorizeRoutes, { ctx: options.ctx });
    await app.register(adminRoutes, { prefix: '/admin', ctx: options.ctx, ...options.admin });
  }
  if (options.gateway) {
    // The issuer may be published after listen() (port 0); read it per request, parsed once per value.
    let issuer = '';
    let host = '';
    const publicHost = () => {
      if (options.ctx.issuer !== issuer) {
        issuer = options.ctx.issuer;
        host = new URL(issuer).host;
      }
      return host;
    };
    await app.register(resourceRoutes, { gateway: options.gateway, publicHost });
  }
  return app;
}
