import type { AccessTokenTtl, ClientType, ConsentMode, GrantType, TokenFormat } from '../../core/model.ts';
import {
  deleteClient,
  describeClient,
  registerClient,
  requireClient,
  rotateClientSecret,
  updateClient,
} from '../../manage/clients.ts';
import { setClientScopes } from '../../manage/scopes.ts';
import type { ClientPatch } from '../../store/store.ts';
import type { AdminResource } from './resource.ts';
import { accessTtlSchema, clientSchema, commonErrors, errorSchema, grantsSchema, nameListSchema, pathParams } from './schemas.ts';

interface ClientSettingsBody {
  name?: string;
  version?: string;
  description?: string;
  grants?: GrantType[];
  scopes?: string[];
  access_token_ttl?: AccessTokenTtl;
  refresh_limit?: number | null;
  refresh_token_ttl?: number;
  enabled?: boolean;
  introspect?: boolean;
  trusted_for_end_user_address?: boolean;
  service_user?: string | null;
  redirect_uris?: string[];
  consent?: ConsentMode;
  token_format?: TokenFormat;
}

interface CreateClientBody extends ClientSettingsBody {
  name: string;
  type: ClientType;
  grants: GrantType[];
}

const settingsProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  version: { type: 'string', maxLength: 200 },
  description: { type: 'string', maxLength: 1000 },
  grants: grantsSchema,
  scopes: nameListSchema,
  access_token_ttl: accessTtlSchema,
  refresh_limit: { type: ['integer', 'null'], minimum: 0, description: 'refreshes per grant; 0 = no refresh token; null = unlimited' },
  refresh_token_ttl: { type: 'integer', minimum: 1, description: 'seconds' },
  enabled: { type: 'boolean' },
  introspect: { type: 'boolean', description: 'may introspect any client\'s tokens (a resource server)' },
  trusted_for_end_user_address: {
    type: 'boolean',
    description: 'a backend that may pass its end user\'s address (`end_user_ip`) with a password grant (docs/security.md)',
  },
  service_user: { type: ['string', 'null'], description: 'user whose ACL rights client_credentials tokens carry' },
  redirect_uris: {
    type: 'array',
    items: { type: 'string', minLength: 1, maxLength: 2000 },
    maxItems: 20,
    description: 'where the authorization endpoint may send the user back (exact match; any port for http://127.0.0.1 and http://[::1])',
  },
  consent: { type: 'string', enum: ['always', 'remember', 'skip'], description: 'when the approval page asks the user (default remember)' },
  token_format: { type: 'string', enum: ['opaque', 'jwt'], description: 'access tokens: opaque (default) or RFC 9068 JWTs (default lifetime 5 minutes)' },
} as const;

const idParams = pathParams('client_id');

function toPatch(body: ClientSettingsBody): ClientPatch {
  const patch: ClientPatch = {};
  if (body.name !== undefined) patch.name = body.name;
  if (body.version !== undefined) patch.version = body.version;
  if (body.description !== undefined) patch.description = body.description;
  if (body.grants !== undefined) patch.grants = body.grants;
  if (body.scopes !== undefined) patch.scopes = body.scopes;
  if (body.access_token_ttl !== undefined) patch.accessTokenTtl = body.access_token_ttl;
  if (body.refresh_limit !== undefined) patch.refreshLimit = body.refresh_limit;
  if (body.refresh_token_ttl !== undefined) patch.refreshTokenTtl = body.refresh_token_ttl;
  if (body.enabled !== undefined) patch.enabled = body.enabled;
  if (body.introspect !== undefined) patch.introspect = body.introspect;
  if (body.trusted_for_end_user_address !== undefined) patch.trustedForEndUserAddress = body.trusted_for_end_user_address;
  if (body.service_user !== undefined) patch.serviceUser = body.service_user === '' ? null : body.service_user;
  if (body.redirect_uris !== undefined) patch.redirectUris = body.redirect_uris;
  if (body.consent !== undefined) patch.consent = body.consent;
  if (body.token_format !== undefined) patch.tokenFormat = body.token_format;
  return patch;
}

/** OAuth clients: register (the secret is returned once), edit, enable/disable, rotate the secret, delete. */
export const clientRoutes: AdminResource = {
  tag: 'clients',
  description: 'OAuth clients and their scopes',
  routes(app, { ctx }) {
    const tags = ['clients'];

    app.get('/clients', { schema: { tags, summary: 'List clients', response: { 200: { type: 'array', items: clientSchema }, ...commonErrors } } }, async () =>
      (await ctx.store.listClients()).map(describeClient),
    );

    app.post<{ Body: CreateClientBody }>(
      '/clients',
      {
        schema: {
          tags,
          summary: 'Register a client; a confidential client\'s secret is in this response only',
          body: {
            type: 'object',
            properties: { ...settingsProperties, type: { type: 'string', enum: ['confidential', 'public'] } },
            required: ['name', 'type', 'grants'],
            additionalProperties: false,
          },
          response: {
            201: { type: 'object', properties: { client: clientSchema, client_secret: { type: 'string' } } },
            409: errorSchema,
            ...commonErrors,
          },
        },
      },
      async (request, reply) => {
        const { type, ...settings } = request.body;
        const patch = toPatch(settings);
        const { client, secret } = await registerClient(ctx.store, ctx.clock, {
          name: request.body.name,
          type,
          grants: request.body.grants,
          version: patch.version,
          description: patch.description,
          scopes: patch.scopes,
          accessTokenTtl: patch.accessTokenTtl,
          refreshLimit: patch.refreshLimit,
          refreshTokenTtl: patch.refreshTokenTtl,
          enabled: patch.enabled,
          introspect: patch.introspect,
          trustedForEndUserAddress: patch.trustedForEndUserAddress,
          serviceUser: patch.serviceUser,
          redirectUris: patch.redirectUris,
          consent: patch.consent,
          tokenFormat: patch.tokenFormat,
        });
        reply.code(201);
        return secret === undefined ? { client: describeClient(client) } : { client: describeClient(client), client_secret: secret };
      },
    );

    app.get<{ Params: { client_id: string } }>(
      '/clients/:client_id',
      { schema: { tags, summary: 'Show a client', params: idParams, response: { 200: clientSchema, 404: errorSchema, ...commonErrors } } },
      async (request) => describeClient(await requireClient(ctx.store, request.params.client_id)),
    );

    app.patch<{ Params: { client_id: string }; Body: ClientSettingsBody }>(
      '/clients/:client_id',
      {
        schema: {
          tags,
          summary: 'Change a client\'s settings, or enable/disable it (`enabled`)',
          params: idParams,
          body: { type: 'object', properties: settingsProperties, additionalProperties: false, minProperties: 1 },
          response: { 200: clientSchema, 404: errorSchema, 409: errorSchema, ...commonErrors },
        },
      },
      async (request) => describeClient(await updateClient(ctx.store, request.params.client_id, toPatch(request.body), ctx.clock)),
    );

    app.post<{ Params: { client_id: string } }>(
      '/clients/:client_id/secret',
      {
        schema: {
          tags,
          summary: 'Rotate the secret: the new one is in this response only, the old one stops working',
          params: idParams,
          response: { 200: { type: 'object', properties: { client_id: { type: 'string' }, client_secret: { type: 'string' } } }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => ({
        client_id: request.params.client_id,
        client_secret: await rotateClientSecret(ctx.store, request.params.client_id, ctx.clock),
      }),
    );

    app.delete<{ Params: { client_id: string } }>(
      '/clients/:client_id',
      { schema: { tags, summary: 'Delete a client and all its tokens', params: idParams, response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors } } },
      async (request, reply) => {
        await deleteClient(ctx.store, request.params.client_id, ctx.clock);
        reply.code(204).send();
      },
    );

    app.get<{ Params: { client_id: string } }>(
      '/clients/:client_id/scopes',
      { schema: { tags, summary: 'The scopes associated with a client', params: idParams, response: { 200: { type: 'array', items: { type: 'string' } }, 404: errorSchema, ...commonErrors } } },
      async (request) => (await requireClient(ctx.store, request.params.client_id)).scopes,
    );

    app.put<{ Params: { client_id: string }; Body: { scopes: string[] } }>(
      '/clients/:client_id/scopes',
      {
        schema: {
          tags,
          summary: 'Associate a client with exactly these scopes',
          params: idParams,
          body: { type: 'object', properties: { scopes: nameListSchema }, required: ['scopes'], additionalProperties: false },
          response: { 200: { type: 'array', items: { type: 'string' } }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => setClientScopes(ctx.store, request.params.client_id, request.body.scopes, ctx.clock),
    );
  },
};
