import { listConsents, withdrawConsent } from '../../manage/consents.ts';
import { endUserLoginSessions, listUserLoginSessions } from '../../manage/login-sessions.ts';
import type { AdminResource } from './resource.ts';
import { commonErrors, errorSchema, pathParams } from './schemas.ts';

const loginSessionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'SHA-256 of the session cookie: identifies it without revealing it' },
    username: { type: 'string' },
    signed_in_at: { type: 'string' },
    last_seen_at: { type: 'string' },
    expires_at: { type: 'string', description: 'when it ends if left unused (idle or absolute limit, whichever comes first)' },
    ip: { type: ['string', 'null'] },
    amr: { type: 'array', items: { type: 'string' }, description: 'how the user proved who they are (RFC 8176)' },
  },
} as const;

const consentSchema = {
  type: 'object',
  properties: {
    username: { type: 'string' },
    client_id: { type: 'string' },
    client_name: { type: ['string', 'null'] },
    scope: { type: 'array', items: { type: 'string' } },
    granted_at: { type: 'string' },
  },
} as const;

/**
 * What the authorization endpoint remembers of users: their login sessions (list, end) and the
 * consents they gave (list per user or per client, withdraw).
 */
export const signInRoutes: AdminResource = {
  tag: 'sign-in',
  description: 'Users\' login sessions at the authorization endpoint, and the consents they gave clients',
  routes(app, { ctx }) {
    const tags = ['sign-in'];

    app.get<{ Params: { username: string } }>(
      '/users/:username/sessions',
      {
        schema: {
          tags,
          summary: 'A user\'s live login sessions, newest sign-in first',
          params: pathParams('username'),
          response: { 200: { type: 'array', items: loginSessionSchema }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => listUserLoginSessions(ctx.store, ctx.clock, request.params.username),
    );

    app.delete<{ Params: { username: string } }>(
      '/users/:username/sessions',
      {
        schema: {
          tags,
          summary: 'End every login session of a user: their browsers must sign in again (tokens are not touched)',
          params: pathParams('username'),
          response: { 200: { type: 'object', properties: { ended: { type: 'integer' } } }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => ({ ended: await endUserLoginSessions(ctx.store, ctx.clock, request.params.username) }),
    );

    app.delete<{ Params: { username: string; session_id: string } }>(
      '/users/:username/sessions/:session_id',
      {
        schema: {
          tags,
          summary: 'End one login session of a user',
          params: pathParams('username', 'session_id'),
          response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        await endUserLoginSessions(ctx.store, ctx.clock, request.params.username, request.params.session_id);
        reply.code(204).send();
      },
    );

    app.get<{ Params: { username: string } }>(
      '/users/:username/consents',
      {
        schema: {
          tags,
          summary: 'The clients a user has approved, with the scopes',
          params: pathParams('username'),
          response: { 200: { type: 'array', items: consentSchema }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => listConsents(ctx.store, { username: request.params.username }),
    );

    app.get<{ Params: { client_id: string } }>(
      '/clients/:client_id/consents',
      {
        schema: {
          tags,
          summary: 'The users who have approved a client, with the scopes',
          params: pathParams('client_id'),
          response: { 200: { type: 'array', items: consentSchema }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request) => listConsents(ctx.store, { clientId: request.params.client_id }),
    );

    app.delete<{ Params: { username: string; client_id: string } }>(
      '/users/:username/consents/:client_id',
      {
        schema: {
          tags,
          summary: 'Withdraw a user\'s consent for a client: the approval page asks again, and the client\'s grants for the user end',
          params: pathParams('username', 'client_id'),
          response: { 204: { type: 'null' }, 404: errorSchema, ...commonErrors },
        },
      },
      async (request, reply) => {
        await withdrawConsent(ctx.store, ctx.clock, request.params.username, request.params.client_id);
        reply.code(204).send();
      },
    );
  },
};
