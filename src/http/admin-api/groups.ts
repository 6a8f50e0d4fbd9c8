import { createGroup, deleteGroup, listGroupsWithMembers } from '../../manage/groups.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema, groupSchema, pathParams } from './schemas.ts';

/** Groups (membership is set on the user). `Administrators` is built in. */
export const groupRoutes: AdminResource = {
  tag: 'groups',
  description: 'Groups of users',
  routes(app, { ctx }) {
    const tags = ['groups'];

    app.get('/groups', { schema: { tags, summary: 'List groups with their member counts', response: { 200: { type: 'array', items: groupSchema }, ...commonErrors } } }, async () =>
      listGroupsWithMembers(ctx.store),
    );

    app.post<{ Body: { name: string } }>(
      '/groups',
      {
        schema: {
          tags,
          summary: 'Create a group',
          body: { type: 'object', properties: { name: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['name'], additionalProperties: false },
          response: { 201: groupSchema, 409: errorSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        await createGroup(ctx.store, request.body.name, ctx.clock);
        reply.code(201);
        return { name: request.body.name, members: 0, built_in: false };
      },
    );

    app.delete<{ Params: { name: string } }>(
      '/groups/:name',
      { schema: { tags, summary: 'Delete a group (not Administrators)', params: pathParams('name'), response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors } } },
      async (request, reply) => {
        await deleteGroup(ctx.store, request.params.name, ctx.clock);
        reply.code(204).send();
      },
    );
  },
};
