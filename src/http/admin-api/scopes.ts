import { clientsOfScope, createScope, deleteScope, requireScope, saveScope, setScopeClients } from '../../manage/scopes.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema, nameListSchema, pathParams, scopeSchema } from './schemas.ts';

const nameParams = pathParams('name');
const publicSchema = { type: 'boolean', description: 'listed in the metadata\'s scopes_supported (default false)' } as const;
const resourcesSchema = {
  type: 'array',
  items: { type: 'string', minLength: 1, maxLength: 500 },
  description: 'folders (orders.v1), services (orders.v1:getOrder) and URL templates (GET /rest/orders/{id})',
} as const;

/** Scopes, the resources they cover, and (scope side) the clients they are associated with. */
export const scopeRoutes: AdminResource = {
  tag: 'scopes',
  description: 'Scopes, their resources and their clients',
  routes(app, { ctx }) {
    const tags = ['scopes'];

    app.get('/scopes', { schema: { tags, summary: 'List scopes', response: { 200: { type: 'array', items: scopeSchema }, ...commonErrors } } }, async () =>
      ctx.store.listScopes(),
    );

    app.post<{ Body: { name: string; description?: string; resources?: string[]; public?: boolean } }>(
      '/scopes',
      {
        schema: {
          tags,
          summary: 'Create a scope',
          body: {
            type: 'object',
            properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, description: { type: 'string', maxLength: 1000 }, resources: resourcesSchema, public: publicSchema },
            required: ['name'],
            additionalProperties: false,
          },
          response: { 201: scopeSchema, 409: errorSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        const { name, description = '', resources = [], public: isPublic = false } = request.body;
        const created = await createScope(ctx.store, { name, description, resources, public: isPublic }, ctx.clock);
        reply.code(201);
        return created;
      },
    );

    app.get<{ Params: { name: string } }>(
      '/scopes/:name',
      { schema: { tags, summary: 'Show a scope', params: nameParams, response: { 200: scopeSchema, 404: errorSchema, ...commonErrors } } },
      async (request) => requireScope(ctx.store, request.params.name),
    );

    app.put<{ Params: { name: string }; Body: { description: string; resources: string[]; public?: boolean } }>(
      '/scopes/:name',
      {
        schema: {
          tags,
          summary: 'Replace a scope\'s description and resources',
          params: nameParams,
          body: {
            type: 'object',
            properties: { description: { type: 'string', maxLength: 1000 }, resources: resourcesSchema, public: publicSchema },
            required: ['description', 'resources'],
            additionalProperties: false,
          },
          response: { 200: scopeSchema, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => {
        await requireScope(ctx.store, request.params.name);
        return saveScope(ctx.store, { name: request.params.name, ...request.body }, ctx.clock);
      },
    );

    app.delete<{ Params: { name: string } }>(
      '/scopes/:name',
      { schema: { tags, summary: 'Delete a scope (its client associations go with it)', params: nameParams, response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors } } },
      async (request, reply) => {
        await deleteScope(ctx.store, request.params.name, ctx.clock);
        reply.code(204).send();
      },
    );

    app.get<{ Params: { name: string } }>(
      '/scopes/:name/clients',
      { schema: { tags, summary: 'The clients a scope is associated with', params: nameParams, response: { 200: { type: 'array', items: { type: 'string' } }, 404: errorSchema, ...commonErrors } } },
      async (request) => clientsOfScope(ctx.store, request.params.name),
    );

    app.put<{ Params: { name: string }; Body: { client_ids: string[] } }>(
      '/scopes/:name/clients',
      {
        schema: {
          tags,
          summary: 'Associate a scope with exactly these clients',
          params: nameParams,
          body: { type: 'object', properties: { client_ids: nameListSchema }, required: ['client_ids'], additionalProperties: false },
          response: { 200: { type: 'array', items: { type: 'string' } }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => setScopeClients(ctx.store, request.params.name, request.body.client_ids, ctx.clock),
    );
  },
};
