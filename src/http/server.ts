import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { type AdminOptions, adminRoutes } from './admin-routes.ts';
import { authorizeRoutes } from './authorize-routes.ts';
import type { AuthzContext } from '../authz/context.ts';
import { NotFound } from '../core/errors.ts';
import type { Gateway } from '../resource/gateway.ts';
import { errorBoundary } from './error-boundary.ts';
import { Metrics, registerMetrics } from './metrics.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { addSecurityHeaders } from './security-headers.ts';
import { resourceRoutes } from './resource-routes.ts';
import { RequestLogController } from './request-log.ts';

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
}

/**
 * Limits against slow or oversized requests. The OAuth routes cap their forms far lower (16 KiB);
 * this is the ceiling for every other route.
 */
export const HTTP_LIMITS = {
  bodyLimit: 512 * 1024,
  /** Whole request, headers and body (Node's `requestTimeout`). */
  requestTimeoutMs: 30_000,
  /** Request headers must arrive within this (slowloris). */
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 10_000,
};

/** Builds the HTTP server: the only place that wires Fastify to the protocol logic. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    https: options.https ?? null,
    return503OnClosing: true,
    bodyLimit: HTTP_LIMITS.bodyLimit,
    requestTimeout: HTTP_LIMITS.requestTimeoutMs,
    keepAliveTimeout: HTTP_LIMITS.keepAliveTimeoutMs,
    logController: new RequestLogController(),
  }) as unknown as FastifyInstance;
  app.server.headersTimeout = HTTP_LIMITS.headersTimeoutMs;
  addSecurityHeaders(app);

  // Every error answer of every route below, the admin API and the gateway included, leaves here.
  const metrics = options.metrics ?? new Metrics();
  app.setErrorHandler(errorBoundary(metrics));
  app.setNotFoundHandler(() => {
    throw new NotFound();
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

  registerMetrics(app, metrics);
  if (authorizationServer) {
    await app.register(oauthRoutes, { ctx: options.ctx, metrics });
    await app.register(authorizeRoutes, { ctx: options.ctx });
    await app.register(adminRoutes, { prefix: '/admin', ctx: options.ctx, ...options.admin });
  }
  if (options.gateway) await app.register(resourceRoutes, { gateway: options.gateway });
  return app;
}
