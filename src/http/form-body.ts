import type { FastifyInstance } from 'fastify';
import { type ParsedForm, parseForm } from '../authz/oauth-request.ts';
import { CHARSET_REFUSAL, declaresUtf8 } from './charset.ts';

/** OAuth endpoints and sign-in pages take small forms; anything larger is an attack or a mistake. */
const FORM_BODY_LIMIT = 16 * 1024;

/** A body as the parsers below leave it: a form, or why there is none (and, for JSON, its value). */
export type FormBody = ParsedForm | { unsupported: 'media-type' | 'charset'; json?: unknown } | undefined;

/** The form of a request as the endpoints take it: its fields, or why it has none. */
export interface FormFields {
  formError?: string;
  json?: unknown;
  params: Record<string, string>;
  repeated: string[];
}

/**
 * Replaces an encapsulated context's body parsers with the one way Portcullis reads a form: UTF-8
 * `application/x-www-form-urlencoded` (a body declaring another charset is refused, not misread),
 * and every other media type handed to the endpoint as unsupported, so that it answers with an
 * OAuth error instead of a bare 415. With `json`, a JSON body is read too, for the one endpoint
 * that takes it (`/oauth/mfa/associate`, in Auth0's shape); to every other endpoint it is not a form.
 */
export function readFormBodies(app: FastifyInstance, options: { json: boolean }): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (request, body, done) =>
    done(null, declaresUtf8(request.headers['content-type']) ? parseForm(body as string) : { unsupported: 'charset' }),
  );
  if (options.json) {
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT }, (request, body, done) => {
      if (!declaresUtf8(request.headers['content-type'])) {
        done(null, { unsupported: 'charset' });
        return;
      }
      try {
        done(null, { unsupported: 'media-type', json: JSON.parse(body as string) as unknown });
      } catch {
        done(null, { unsupported: 'media-type', json: null });
      }
    });
  }
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (_request, _body, done) => done(null, { unsupported: 'media-type' }));
}

/** The fields of a body left by `readFormBodies` (`undefined`: a request with none, such as a GET). */
export function formFields(body: FormBody): FormFields {
  if (body === undefined) return { formError: 'the body must be application/x-www-form-urlencoded', params: {}, repeated: [] };
  if (!('unsupported' in body)) return body;
  const formError = body.unsupported === 'charset' ? CHARSET_REFUSAL : 'the body must be application/x-www-form-urlencoded';
  return 'json' in body ? { formError, json: body.json, params: {}, repeated: [] } : { formError, params: {}, repeated: [] };
}
