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
import type { OAuthRequest } from '../authz/oauth-request.ts';
import { type FormBody, formFields, readFormBodies } from './form-body.ts';
import type { Metrics } from './metrics.ts';

function toOAuthRequest(request: FastifyRequest): OAuthRequest {
  const fields = formFields(request.body as FormBody);
  // Written out, not spread (`{ ...fields, … }`): V8 took its slow path for the spread on every
  // request, 1.8 µs against a few ns for one object of one shape.
  const oauth: OAuthRequest = {
    params: fields.params,
    repeated: fields.repeated,
    authorization: request.headers.authorization,
    secure: request.protocol === 'https',
    ip: request.clientIp,
  };
  if (fields.formError !== undefined) oauth.formError = fields.formError;
  if (fields.json !== undefined) oauth.json = fields.json;
  return oauth;
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
  readFormBodies(app, { json: true });
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
