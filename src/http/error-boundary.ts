import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError } from '../core/errors.ts';

/**
 * The one place that turns errors into responses. OAuth errors become RFC bodies with their
 * status and headers; the framework's own 4xx (bad media type, body too large, malformed body)
 * become `invalid_request` with their status; anything else is `500 server_error`, and the cause
 * goes to the log only.
 */
export function errorBoundary(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof OAuthError) {
    if (error.status >= 500) request.log.error({ err: error }, 'request failed');
    reply.code(error.status).headers(error.headers).send(error.toJSON());
    return;
  }
  const status = (error as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    reply.code(status).send({ error: 'invalid_request', error_description: clientErrorText(error as FastifyError) });
    return;
  }
  request.log.error({ err: error }, 'unexpected failure');
  reply.code(500).send({ error: 'server_error' });
}

/** A fixed text per framework error code, so nothing from the request is echoed back. */
function clientErrorText(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body too large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return 'malformed request body';
    default:
      return 'malformed request';
  }
}
