import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthzContext } from '../authz/context.ts';
import { errorBoundary } from './error-boundary.ts';
import { Metrics, registerMetrics } from './metrics.ts';
import { oauthRoutes } from './oauth-routes.ts';

export interface ServerOptions {
  ctx: AuthzContext;
  logger: Logger;
  /** Addresses or CIDRs of reverse proxies whose `X-Forwarded-*` headers are believed. */
  trustedProxies?: string[];
  https?: { cert: Buffer; key: Buffer };
  /** Where the instance's metrics go; a fresh set when absent. */
  metrics?: Metrics;
}

/** Builds the HTTP server: the only place that wires Fastify to the protocol logic. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    https: options.https ?? null,
    return503OnClosing: true,
  }) as unknown as FastifyInstance;

  app.setErrorHandler(errorBoundary);
  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: 'not_found' });
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await options.ctx.store.ping();
      return { status: 'ready' };
    } catch {
      reply.code(503);
      return { status: 'unavailable' };
    }
  });

  // Graceful shutdown: a response sent while closing ends its keep-alive connection, so that
  // close() finishes with the last in-flight request instead of waiting out the keep-alive timeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('Connection', 'close');
  });

  registerMetrics(app, options.metrics ?? new Metrics());
  await app.register(oauthRoutes, { ctx: options.ctx });
  return app;
}
