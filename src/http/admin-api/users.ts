import { UserError } from '../../core/errors.ts';
import { ADMIN_GROUP } from '../../core/model.ts';
import { createUser, deleteUser, describeUser, requireUser, setPassword, setUserEnabled, setUserGroups, setUserProfile } from '../../manage/users.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema, nameListSchema, pathParams, userSchema } from './schemas.ts';

const userParams = pathParams('username');
const passwordSchema = { type: 'string', minLength: 1, maxLength: 1024 } as const;
const profileProperties = {
  name: { type: 'string', maxLength: 200, description: 'display name (userinfo `name`); empty clears it' },
  email: { type: 'string', maxLength: 254, description: 'address (userinfo `email`); empty clears it' },
} as const;

/**
 * An administrator may not delete, disable or demote their own account from the admin API: that
 * would end their own access mid-change. Another administrator, or the CLI, can.
 */
function refuseSelfLockout(self: string, username: string, change: { enabled?: boolean; groups?: string[]; delete?: boolean }): void {
  if (self !== username) return;
  if (change.delete) throw new UserError('you cannot delete your own account; ask another administrator');
  if (change.enabled === false) throw new UserError('you cannot disable your own account', 'invalid_request', 'enabled');
  if (change.groups !== undefined && !change.groups.includes(ADMIN_GROUP)) {
    throw new UserError(`you cannot remove yourself from ${ADMIN_GROUP}`, 'invalid_request', 'groups');
  }
}

/** Resource owners: create, set password (ends their tokens), enable/disable, groups, delete. */
export const userRoutes: AdminResource = {
  tag: 'users',
  description: 'Resource owners (users)',
  routes(app, { ctx }) {
    const tags = ['users'];

    app.get('/users', { schema: { tags, summary: 'List users', response: { 200: { type: 'array', items: userSchema }, ...commonErrors } } }, async () =>
      (await ctx.store.listUsers()).map(describeUser),
    );

    app.post<{ Body: { username: string; password: string; groups?: string[]; enabled?: boolean; name?: string; email?: string } }>(
      '/users',
      {
        schema: {
          tags,
          summary: 'Create a user',
          body: {
            type: 'object',
            properties: {
              username: { type: 'string', minLength: 1, maxLength: 200 },
              password: passwordSchema,
              groups: nameListSchema,
              enabled: { type: 'boolean' },
              ...profileProperties,
            },
            required: ['username', 'password'],
            additionalProperties: false,
          },
          response: { 201: userSchema, 409: errorSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        const created = await createUser(ctx.store, ctx.hasher, ctx.clock, request.body);
        reply.code(201);
        return describeUser(created);
      },
    );

    app.get<{ Params: { username: string } }>(
      '/users/:username',
      { schema: { tags, summary: 'Show a user', params: userParams, response: { 200: userSchema, 404: errorSchema, ...commonErrors } } },
      async (request) => describeUser(await requireUser(ctx.store, request.params.username)),
    );

    app.patch<{ Params: { username: string }; Body: { enabled?: boolean; groups?: string[]; name?: string; email?: string } }>(
      '/users/:username',
      {
        schema: {
          tags,
          summary: 'Enable or disable a user (disabling ends their tokens), set their groups, name or email',
          params: userParams,
          body: {
            type: 'object',
            properties: { enabled: { type: 'boolean' }, groups: nameListSchema, ...profileProperties },
            additionalProperties: false,
            minProperties: 1,
          },
          response: { 200: userSchema, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => {
        const { username } = request.params;
        refuseSelfLockout(request.admin!.username, username, request.body);
        if (request.body.groups !== undefined) await setUserGroups(ctx.store, username, request.body.groups, ctx.clock);
        if (request.body.enabled !== undefined) await setUserEnabled(ctx.store, ctx.clock, username, request.body.enabled);
        const { name, email } = request.body;
        if (name !== undefined || email !== undefined) await setUserProfile(ctx.store, ctx.clock, username, { name, email });
        return describeUser(await requireUser(ctx.store, username));
      },
    );

    app.put<{ Params: { username: string }; Body: { password: string } }>(
      '/users/:username/password',
      {
        schema: {
          tags,
          summary: 'Set a user\'s password; all their tokens, console sessions and login sessions end',
          params: userParams,
          body: { type: 'object', properties: { password: passwordSchema }, required: ['password'], additionalProperties: false },
          response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        await setPassword(ctx.store, ctx.hasher, ctx.clock, request.params.username, request.body.password);
        reply.code(204).send();
      },
    );

    app.delete<{ Params: { username: string } }>(
      '/users/:username',
      { schema: { tags, summary: 'Delete a user; all their tokens end', params: userParams, response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors } } },
      async (request, reply) => {
        refuseSelfLockout(request.admin!.username, request.params.username, { delete: true });
        await deleteUser(ctx.store, ctx.clock, request.params.username);
        reply.code(204).send();
      },
    );
  },
};
