import { Ajv } from 'ajv';

/**
 * Request validation: bodies are checked strictly (no type coercion, unknown fields refused), while
 * query strings and path parameters, which are always text, are coerced to the declared types.
 * A refusal is answered by the error boundary (src/http/error-boundary.ts), naming the field.
 */
export function validatorCompiler() {
  const options = { useDefaults: true, removeAdditional: false, allErrors: false, strict: false } as const;
  const strictAjv = new Ajv({ ...options, coerceTypes: false });
  const coercingAjv = new Ajv({ ...options, coerceTypes: true });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) =>
    (httpPart === 'body' ? strictAjv : coercingAjv).compile(schema);
}
