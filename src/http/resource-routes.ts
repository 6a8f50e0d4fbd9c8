import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Gateway, GatewayAnswer } from '../resource/gateway.ts';
import { writeSecurityHeaders } from './security-headers.ts';

/**
 * Protected services at `/invoke/…` and `/rest/…` (docs/resource-server.md). The request body is not
 * parsed: it streams to the upstream as it arrives. The gateway's checks run in this ordinary
 * handler, so that every refusal (and a 502 or 504 before the upstream's headers arrive) leaves
 * through the error boundary with the security headers of every other answer; the handler takes
 * over the socket only to relay the upstream's own answer, and writes those headers on it too. The authorization server's
 * `/invoke/pub.oauth/*` aliases are static routes and win over these.
 */
export async function resourceRoutes(app: FastifyInstance, options: { gateway: Gateway; publicHost: () => string }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    // With trusted proxies, each read of request.protocol parses the forwarding headers again: once here.
    const https = request.protocol === 'https';
    let answer: GatewayAnswer;
    try {
      // request.clientIp (normalised) and request.protocol apply the configured trusted proxies (docs/security.md), so the
      // upstream sees the real client; the host is the configured public one, never the request's Host.
      answer = await options.gateway.handle(request.raw, reply.raw, { ip: request.clientIp, https, host: options.publicHost() });
    } catch (error) {
      // The unread request body would otherwise sit in the socket of a kept-alive connection.
      request.raw.resume();
      throw error;
    }
    if (answer.kind === 'builtin') {
      reply.header('Cache-Control', 'no-store');
      return answer.body;
    }
    reply.hijack();
    // The relayed answer comes from Portcullis's origin: it carries the security headers of every other answer.
    if (answer.kind === 'upstream') answer.answer.relay((res) => writeSecurityHeaders(request.raw, res, https));
  };
  for (const url of ['/invoke/*', '/rest', '/rest/*']) app.all(url, handler);
}
