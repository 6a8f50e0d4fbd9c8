import { deleteService, describeService, listServices, saveService } from '../../manage/services.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema, pathParams, serviceSchema } from './schemas.ts';

/** Protected services behind the gateway (/invoke/…, /rest/…), as `portcullis service` manages them. */
export const serviceRoutes: AdminResource = {
  tag: 'services',
  description: 'Protected services: upstream URL, accepted methods, URL templates, concurrency limit and timeout',
  routes(app, { ctx }) {
    const tags = ['services'];
    const nameParams = pathParams('name');

    app.get('/services', { schema: { tags, summary: 'List services', response: { 200: { type: 'array', items: serviceSchema }, ...commonErrors } } }, async () =>
      (await listServices(ctx.store)).map(describeService),
    );

    app.put<{
      Params: { name: string };
      Body: { upstream: string; methods?: string[]; templates?: string[]; max_concurrent?: number | null; timeout_ms?: number | null; introspect_always?: boolean };
    }>(
      '/services/:name',
      {
        schema: {
          tags,
          summary: 'Create or replace a service (name: folder.sub:name)',
          params: nameParams,
          body: {
            type: 'object',
            properties: {
              upstream: { type: 'string', minLength: 1, maxLength: 2000, description: 'absolute http(s) URL the gateway forwards to' },
              methods: {
                type: 'array',
                items: { type: 'string', minLength: 1, maxLength: 20 },
                uniqueItems: true,
                description: 'methods accepted at /invoke/… (empty: any)',
              },
              templates: {
                type: 'array',
                items: { type: 'string', minLength: 1, maxLength: 500 },
                uniqueItems: true,
                description: 'URL templates under /rest/, e.g. `GET /rest/orders/{id}` or `* /rest/orders/**`',
              },
              max_concurrent: {
                type: 'integer',
                nullable: true,
                minimum: 1,
                maximum: 100_000,
                description: 'calls in flight at once per gateway instance, then 503 (absent or null: resource_server.max_concurrent_per_service)',
              },
              timeout_ms: {
                type: 'integer',
                nullable: true,
                minimum: 1,
                maximum: 600_000,
                description: 'milliseconds to wait for the upstream\'s headers, then 504 (absent or null: resource_server.upstream_timeout_ms)',
              },
              introspect_always: { type: 'boolean', description: 'check JWT access tokens at the store on every call too: a revocation counts at once' },
            },
            required: ['upstream'],
            additionalProperties: false,
          },
          response: { 200: serviceSchema, ...commonErrors },
        },
      },
      async (request) => {
        const { max_concurrent: maxConcurrent, timeout_ms: timeoutMs, introspect_always: introspectAlways, ...rest } = request.body;
        return describeService(await saveService(ctx.store, ctx.clock, { name: request.params.name, ...rest, maxConcurrent, timeoutMs, introspectAlways }));
      },
    );

    app.delete<{ Params: { name: string } }>(
      '/services/:name',
      { schema: { tags, summary: 'Delete a service', params: nameParams, response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors } } },
      async (request, reply) => {
        await deleteService(ctx.store, request.params.name, ctx.clock);
        reply.code(204).send();
      },
    );
  },
};
