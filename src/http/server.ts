import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AuthzContext } from '../authz/context.ts';
import { errorBoundary } from './error-boundary.ts';
import { oauthRoutes } from './oauth-routes.ts';
import { RequestLogController } from './request-log.ts';

export interface ServerOptions {
  ctx: AuthzContext;
  logger: Logger;
  /** Addresses or CIDRs of reverse proxies whose `X-Forwarded-*` headers are believed. */
  trustedProxies?: string[];
  https?: { cert: Buffer; key: Buffer };
}

/** Builds the HTTP server: the only place that wires Fastify to the protocol logic. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: options.logger,
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    https: options.https ?? null,
    return503OnClosing: true,
    logController: new RequestLogController(),
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

  await app.register(oauthRoutes, { ctx: options.ctx });
  return app;
}
