import { Ajv, type ErrorObject } from 'ajv';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { OAuthError, UserError } from '../../core/errors.ts';
import { AdminError, type AdminErrorCode } from '../admin-error.ts';

/**
 * Request validation: bodies are checked strictly (no type coercion, unknown fields refused), while
 * query strings and path parameters, which are always text, are coerced to the declared types.
 */
export function validatorCompiler() {
  const options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false } as const;
  const strictAjv = new Ajv({ ...options, coerceTypes: false });
  const coercingAjv = new Ajv({ ...options, coerceTypes: true });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema);
}

/** The request field a schema error is about: `grants` for `/grants/0`, the missing or unknown property's name. */
function fieldOf(error: ErrorObject): string {
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const path = error.instancePath.split('/').filter((part) => part !== '');
  if (params.missingProperty !== undefined) return [...path, params.missingProperty][0]!;
  if (params.additionalProperty !== undefined) return [...path, params.additionalProperty][0]!;
  return path[0] ?? '';
}

function validationError(error: FastifyError): AdminError {
  const first = error.validation![0] as ErrorObject;
  const field = fieldOf(first);
  const params = first.params as { additionalProperty?: string };
  const text =
    params.additionalProperty !== undefined
      ? `${field} is not a known field`
      : field === ''
        ? `the ${error.validationContext ?? 'request'} ${first.message ?? 'is invalid'}`
        : `${field} ${first.message ?? 'is invalid'}`;
  return new AdminError(400, 'invalid_request', text, {}, field === '' ? undefined : field);
}

const USER_ERROR_CODES: Record<number, AdminErrorCode> = { 404: 'not_found', 409: 'conflict' };

/** The admin API's error boundary: every failure becomes `{"error", "error_description", "field"?}`. */
export function adminErrorBoundary(error: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  let failure: AdminError | OAuthError;
  if (error instanceof AdminError || error instanceof OAuthError) failure = error;
  else if (error instanceof UserError) failure = new AdminError(error.status, USER_ERROR_CODES[error.status] ?? 'invalid_request', error.message, {}, error.field);
  else if ((error as FastifyError).validation) failure = validationError(error as FastifyError);
  else if ((error as FastifyError).statusCode !== undefined && (error as FastifyError).statusCode! < 500) {
    // Framework errors (malformed JSON, wrong media type, body too large): a fixed text, nothing echoed.
    const status = (error as FastifyError).statusCode!;
    failure = new AdminError(status, 'invalid_request', status === 415 ? 'send application/json' : 'malformed request');
  } else {
    request.log.error({ err: error }, 'unexpected failure');
    failure = new AdminError(500, 'server_error', 'unexpected failure');
  }
  reply.code(failure.status).headers(failure.headers).send(failure.toJSON());
}
