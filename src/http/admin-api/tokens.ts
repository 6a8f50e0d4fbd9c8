import type { TokenState } from '../../core/model.ts';
import { listTokens, revokeTokens, TOKEN_STATES } from '../../manage/tokens.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema, tokenSchema } from './schemas.ts';

interface TokenQuery {
  client_id?: string;
  username?: string;
  state?: TokenState;
  limit: number;
}

/** Issued tokens: list with filters, revoke (the token's whole grant). */
export const tokenRoutes: AdminResource = {
  tag: 'tokens',
  description: 'Issued access and refresh tokens',
  routes(app, { ctx }) {
    const tags = ['tokens'];

    app.get<{ Querystring: TokenQuery }>(
      '/tokens',
      {
        schema: {
          tags,
          summary: 'List tokens, newest first',
          querystring: {
            type: 'object',
            properties: {
              client_id: { type: 'string', minLength: 1, maxLength: 200 },
              username: { type: 'string', minLength: 1, maxLength: 200 },
              state: { type: 'string', enum: [...TOKEN_STATES] },
              limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            },
            additionalProperties: false,
          },
          response: { 200: { type: 'array', items: tokenSchema }, ...commonErrors },
        },
      },
      async (request) =>
        listTokens(ctx.store, ctx.clock, {
          clientId: request.query.client_id,
          username: request.query.username,
          state: request.query.state,
          limit: request.query.limit,
        }),
    );

    app.delete<{ Params: { id: string } }>(
      '/tokens/:id',
      {
        schema: {
          tags,
          summary: 'Revoke a token and every token of its grant (its family)',
          params: { type: 'object', properties: { id: { type: 'string', minLength: 1, maxLength: 100 } }, required: ['id'] },
          response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        await revokeTokens(ctx.store, ctx.clock, { id: request.params.id });
        reply.code(204).send();
      },
    );
  },
};
