import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidRequest } from '../core/errors.ts';
import type { AuthzContext } from '../authz/context.ts';
import { introspectionEndpoint } from '../authz/endpoints/introspect.ts';
import { jwksEndpoint } from '../authz/endpoints/jwks.ts';
import { mfaAssociateEndpoint } from '../authz/endpoints/mfa-associate.ts';
import { metadataEndpoint, openidConfiguration } from '../authz/endpoints/metadata.ts';
import { userinfoEndpoint } from '../authz/endpoints/userinfo.ts';
import { authenticate } from '../resource/access-check.ts';
import { LocalTokenVerifier } from '../resource/local-verifier.ts';
import { revocationEndpoint } from '../authz/endpoints/revoke.ts';
import { tokenEndpoint } from '../authz/endpoints/token.ts';
import { type OAuthRequest, type ParsedForm, parseForm } from '../authz/oauth-request.ts';
import { CHARSET_REFUSAL, declaresUtf8 } from './charset.ts';
import type { Metrics } from './metrics.ts';

/** OAuth endpoints take small forms; anything larger is an attack or a mistake. */
const FORM_BODY_LIMIT = 16 * 1024;

/** A body that is not a form: why, and for JSON (read by `/oauth/mfa/associate` only) its value. */
type Body = ParsedForm | { unsupported: 'media-type' | 'charset'; json?: unknown } | undefined;

function toOAuthRequest(request: FastifyRequest): OAuthRequest {
  const body = request.body as Body;
  const base = { authorization: request.headers.authorization, secure: request.protocol === 'https', ip: request.clientIp };
  if (body === undefined || 'unsupported' in body) {
    const formError = body?.unsupported === 'charset' ? CHARSET_REFUSAL : 'the body must be application/x-www-form-urlencoded';
    const json = body !== undefined && 'json' in body ? { json: body.json } : {};
    return { ...base, formError, params: {}, repeated: [], ...json };
  }
  return { ...base, params: body.params, repeated: body.repeated };
}

type Endpoint = (request: OAuthRequest) => Promise<object>;

/** Each endpoint and its Integration Server alias; the token endpoint counts what it issued, per grant. */
function endpoints(ctx: AuthzContext, metrics: Metrics): { paths: string[]; run: Endpoint }[] {
  return [
    {
      paths: ['/oauth/token', '/invoke/pub.oauth/getToken'],
      run: async (request) => {
        const issued = await tokenEndpoint(ctx, request);
        metrics.tokensIssued.inc({ grant_type: issued.grantType });
        return issued.response;
      },
    },
    { paths: ['/oauth/mfa/associate'], run: (request) => mfaAssociateEndpoint(ctx, request) },
    { paths: ['/oauth/introspect', '/invoke/pub.oauth/introspectToken'], run: (request) => introspectionEndpoint(ctx, request) },
    {
      paths: ['/oauth/revoke', '/invoke/pub.oauth/revokeToken'],
      run: async (request) => {
        await revocationEndpoint(ctx, request);
        return {};
      },
    },
  ];
}

/**
 * The authorization server's endpoints (RFC 6749, 7662, 7009, 8414) and their Integration Server
 * aliases, in their own encapsulated context with a strict form parser.
 */
export async function oauthRoutes(app: FastifyInstance, options: { ctx: AuthzContext; metrics: Metrics }): Promise<void> {
  const { ctx } = options;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: FORM_BODY_LIMIT },
    (request, body, done) => done(null, declaresUtf8(request.headers['content-type']) ? parseForm(body as string) : { unsupported: 'charset' }),
  );
  // JSON is read only for `/oauth/mfa/associate` (Auth0's shape); to every other endpoint it is not a form.
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
  // Any other media type reaches the endpoint, which answers with an OAuth error, not a bare 415.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: FORM_BODY_LIMIT }, (_request, _body, done) =>
    done(null, { unsupported: 'media-type' }),
  );
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('Cache-Control', 'no-store');
    reply.header('Pragma', 'no-cache');
    done(null, payload);
  });

  for (const endpoint of endpoints(ctx, options.metrics)) {
    for (const path of endpoint.paths) {
      app.post(path, async (request) => endpoint.run(toOAuthRequest(request)));
      app.route({
        method: ['GET', 'PUT', 'DELETE', 'PATCH'],
        url: path,
        handler: async () => {
          throw new InvalidRequest('use POST', { allow: ['POST'] });
        },
      });
    }
  }

  app.get('/.well-known/oauth-authorization-server', async () => metadataEndpoint(ctx));
  app.get('/.well-known/openid-configuration', async () => openidConfiguration(ctx));
  // OpenID Connect Core §5.3.1: GET and POST, the access token in the Authorization header. The
  // store verifies it (not a JWT signature alone), so a revoked token gets nothing.
  const userinfoVerifier = new LocalTokenVerifier(ctx.store, ctx.clock);
  app.route({
    method: ['GET', 'POST'],
    url: '/oauth/userinfo',
    handler: async (request) => userinfoEndpoint(ctx, await authenticate(userinfoVerifier, request.headers.authorization)),
  });
  // Verifiers cache the key set themselves and fetch it again on an unknown `kid`.
  app.get('/oauth/jwks', async (_request, reply) => reply.type('application/jwk-set+json; charset=utf-8').send(await jwksEndpoint(ctx)));
}
