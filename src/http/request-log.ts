import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * Fastify's per-request log lines, reduced at `info` to one line per finished request. A failed request
 * (4xx, 5xx) is logged at `info`: refused clients, failed logins and errors are what an operator
 * and an investigation need. A successful one is logged at `debug` only: Fastify's two serialised,
 * redacted lines per request (incoming, completed) cost a fifth of the token endpoint's time, and
 * every token issued is an audit event of its own. Everything else Fastify logs is unchanged.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    // At `info` and above this is a no-op call; at `debug` it shows what arrived and when.
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) {
      super.requestCompleted(error, request, reply);
      return;
    }
    const level = reply.statusCode >= 400 ? 'info' : 'debug';
    reply.log[level]({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
