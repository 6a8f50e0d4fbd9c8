import type { ErrorObject } from 'ajv';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { InvalidRequest, OAuthError, ServerError, UserError } from '../core/errors.ts';
import type { Metrics } from './metrics.ts';

/** A fixed text per refusal of the HTTP layer, so that nothing from the request is echoed back. */
const FRAMEWORK_REFUSALS: Record<number, string> = {
  413: 'request body too large',
  415: 'unsupported content type; send application/json',
};

/** Fastify's refusals before routing, by code: the URL itself is never echoed. */
const FRAMEWORK_CODES: Record<string, string> = {
  FST_ERR_BAD_URL: 'the path has a malformed percent-escape',
};

/** The request field a schema error is about: `grants` for `/grants/0`, the missing or unknown property's name. */
function fieldOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const path = error.instancePath.split('/').filter((part) => part !== '');
  if (params.missingProperty !== undefined) return [...path, params.missingProperty][0]!;
  if (params.additionalProperty !== undefined) return [...path, params.additionalProperty][0]!;
  return path[0] ?? '';
}

/** A request schema refused the request (admin API): the text names the field, and `field` says which. */
function validationError(error: FastifyError): OAuthError {
  const first = error.validation![0] as ErrorObject;
  const field = fieldOf(first);
  const params = first.params as { additionalProperty?: string };
  const text =
    params.additionalProperty !== undefined
      ? `${field} is not a known field`
      : field === ''
        ? `the ${error.validationContext ?? 'request'} ${first.message ?? 'is invalid'}`
        : `${field} ${first.message ?? 'is invalid'}`;
  return new InvalidRequest(text, field === '' ? {} : { field });
}

/**
 * The catalogue error an error stands for: an `OAuthError` as it is; an operator's `UserError` as
 * its code; a schema refusal, or the HTTP layer's own 4xx (malformed JSON, media type, body too
 * large), as `invalid_request` with a fixed text; anything else as `server_error`, with
 * `unexpected` set so that the caller logs the cause.
 */
function toOAuthError(error: unknown): { failure: OAuthError; unexpected: boolean } {
  if (error instanceof OAuthError) return { failure: error, unexpected: false };
  if (error instanceof UserError) {
    return { failure: new OAuthError(error.code, error.message, error.field === undefined ? {} : { field: error.field }), unexpected: false };
  }
  const framework = error as Partial<FastifyError>;
  if (framework.validation) return { failure: validationError(framework as FastifyError), unexpected: false };
  const status = framework.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    const text = (framework.code === undefined ? undefined : FRAMEWORK_CODES[framework.code]) ?? FRAMEWORK_REFUSALS[status];
    const failure = text === undefined ? new InvalidRequest('malformed request') : new InvalidRequest(text, status === 413 || status === 415 ? { status } : {});
    return { failure, unexpected: false };
  }
  return { failure: new ServerError(), unexpected: true };
}

/**
 * The one way out for every error answer: the OAuth endpoints, the admin API, the gateway and
 * `/metrics` all throw, and this writes `{"error", "error_description"?, "field"?}` with the
 * catalogue's status and headers (the security headers are added on the way out, as to every
 * answer), counts the failure under its real code, and logs an unexpected cause without ever
 * sending it; for the routes that answer browsers it renders the route's error page instead of the
 * JSON body, with the same status and headers. Error answers are never cached.
 */
export function errorBoundary(metrics: Metrics) {
  return function boundary(error: Error, request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const { failure, unexpected } = toOAuthError(error);
    if (unexpected) request.log.error({ err: error }, 'unexpected failure');
    else if (failure.cause !== undefined) request.log.warn({ err: failure.cause, error: failure.error }, 'request failed');
    metrics.countFailure(request, failure.error);
    reply.code(failure.status).headers(failure.headers).header('Cache-Control', 'no-store');
    // A route for people's browsers (the sign-in pages) shows the same error as a page.
    const page = request.routeOptions.config.errorPage;
    if (page) {
      return page(failure).then(({ html, csp }) => {
        reply.header('Content-Security-Policy', csp).type('text/html; charset=utf-8').send(html);
      });
    }
    reply.send(failure.body);
  };
}
