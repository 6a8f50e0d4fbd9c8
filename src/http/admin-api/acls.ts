import { deleteAcl, listAcls, setAcl } from '../../manage/acls.ts';
import type { AdminResource } from './resource.ts';
import { aclSchema, commonErrors, errorSchema, nameListSchema, pathParams } from './schemas.ts';

/** ACLs on folders and services (deny wins; the nearest ACL up the folder chain decides), as `portcullis acl` manages them. */
export const aclRoutes: AdminResource = {
  tag: 'acls',
  description: 'ACLs on folders and services: allowed and denied groups',
  routes(app, { ctx }) {
    const tags = ['acls'];
    const resourceParams = pathParams('resource');

    app.get('/acls', { schema: { tags, summary: 'List ACLs', response: { 200: { type: 'array', items: aclSchema }, ...commonErrors } } }, async () =>
      listAcls(ctx.store),
    );

    app.put<{ Params: { resource: string }; Body: { allow: string[]; deny: string[] } }>(
      '/acls/:resource',
      {
        schema: {
          tags,
          summary: 'Set (create or replace) the ACL of a folder (orders.v1) or a service (orders.v1:getOrder)',
          params: resourceParams,
          body: {
            type: 'object',
            properties: {
              allow: { ...nameListSchema, description: 'groups let in (none: nobody is let in)' },
              deny: { ...nameListSchema, description: 'groups refused, even if also allowed' },
            },
            required: ['allow', 'deny'],
            additionalProperties: false,
          },
          response: { 200: aclSchema, ...commonErrors },
        },
      },
      async (request) => setAcl(ctx.store, { resource: request.params.resource, ...request.body }, ctx.clock),
    );

    app.delete<{ Params: { resource: string } }>(
      '/acls/:resource',
      { schema: { tags, summary: 'Delete the ACL of a folder or service', params: resourceParams, response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors } } },
      async (request, reply) => {
        await deleteAcl(ctx.store, request.params.resource, ctx.clock);
        reply.code(204).send();
      },
    );
  },
};
