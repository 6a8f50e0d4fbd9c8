import type { IncomingMessage } from 'node:http';
import type { Access } from './access-check.ts';
import { OAuthError } from '../core/errors.ts';
import { type GuardOptions, ResourceGuard } from './resource-guard.ts';

/** The parts of a Fastify request the plugin reads and sets. */
export interface FastifyRequestLike {
  raw: IncomingMessage;
  portcullis?: Access | null;
}

/** The parts of a Fastify reply the plugin uses to answer a denial. */
export interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  header(name: string, value: string): FastifyReplyLike;
  send(payload: unknown): unknown;
}

/**
 * The parts of a Fastify instance the plugin uses, written out so that neither the plugin nor its
 * types need Fastify installed: a Fastify instance (v4 or v5) fits.
 */
export interface FastifyLike {
  decorateRequest(property: 'portcullis', value: null): unknown;
  addHook(name: 'onRequest', hook: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<unknown>): unknown;
}

/** `app.register(portcullisFastify, options)`. */
export type PortcullisFastifyPlugin = (app: FastifyLike, options: GuardOptions) => Promise<void>;

/**
 * A Fastify plugin that protects every route of the context it is registered in (it is not
 * encapsulated, like plugins wrapped with fastify-plugin): register it inside
 * `app.register(async (scope) => { … })` to protect only some routes. On success
 * `request.portcullis` holds the caller's access; denials are answered as the gateway does,
 * with the catalogue's status, headers and body (docs/errors.md), not by the application's error
 * handler, which would not know the challenge headers.
 */
const plugin: PortcullisFastifyPlugin = async (app, options) => {
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
// What fastify-plugin would set; not it, as its types import fastify, which users of this library need not install.
(plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
(plugin as unknown as Record<symbol, string>)[Symbol.for('fastify.display-name')] = 'portcullis';

export const portcullisFastify = plugin;
