import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { OAuthError } from '../core/errors.ts';
import type { Access } from '../resource/access-check.ts';
import { type GuardOptions, ResourceGuard } from '../resource/resource-guard.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the Portcullis plugin when the request passed the check. */
    portcullis: Access | null;
  }
}

/**
 * A Fastify plugin that protects every route of the context it is registered in (it is not
 * encapsulated, like plugins wrapped with fastify-plugin): register it inside
 * `app.register(async (scope) => { … })` to protect only some routes. A refusal is answered here,
 * with the catalogue's status, headers and body (docs/errors.md), not by the application's error
 * handler, which would not know the challenge headers.
 */
const plugin: FastifyPluginAsync<GuardOptions> = async (app: FastifyInstance, options: GuardOptions) => {
  const guard = new ResourceGuard(options);
  app.decorateRequest('portcullis', null);
  app.addHook('onRequest', async (request, reply) => {
    try {
      request.portcullis = await guard.check(request.raw);
    } catch (error) {
      if (!(error instanceof OAuthError)) throw error;
      return reply.code(error.status).headers(error.headers).header('Cache-Control', 'no-store').send(error.body);
    }
  });
};
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'portcullis';

export const portcullisFastify = plugin;
