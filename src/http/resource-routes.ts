import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway } from '../resource/gateway.ts';

/**
 * Protected services at `/invoke/…` and `/rest/…` (docs/resource-server.md). The request body is not parsed: it
 * streams to the upstream as it arrives, so the gateway takes over the raw request and response.
 * The authorization server's `/invoke/pub.oauth/*` aliases are static routes and win over these.
 */
export async function resourceRoutes(app: FastifyInstance, options: { gateway: Gateway }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    // request.ip applies the configured trusted proxies (docs/security.md), so the upstream sees the real client.
    await options.gateway.handle(request.raw, reply.raw, request.ip);
  };
  for (const url of ['/invoke/*', '/rest', '/rest/*']) app.all(url, handler);
}
