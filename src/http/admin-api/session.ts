import type { FastifyReply, FastifyRequest } from 'fastify';
import { verifyAdminSignIn } from '../../admin/admin-auth.ts';
import { csrfTokenFor, endSession, sessionEndsAt, startSession } from '../../admin/session.ts';
import type { AdminResource } from './resource.ts';
import { errorSchema } from './schemas.ts';

export const SESSION_COOKIE = 'portcullis_admin';

const sessionSchema = {
  type: 'object',
  properties: {
    username: { type: 'string' },
    csrf_token: { type: 'string', description: 'send it in the x-csrf-token header of every state-changing request' },
    expires_at: { type: 'string', description: 'when the session ends if left idle' },
  },
} as const;

/**
 * The session cookie: HttpOnly (scripts cannot read it), SameSite=Strict (other sites' pages never
 * send it), Secure when the request came over HTTPS, scoped to /admin.
 */
function cookieOptions(request: FastifyRequest) {
  return { path: '/admin', httpOnly: true, sameSite: 'strict', secure: request.protocol === 'https' } as const;
}

/** Admin sign-in and sign-out: a server-side session, stored (hashed) in the database. */
export const sessionRoutes: AdminResource = {
  tag: 'session',
  description: 'Sign in to the console, see who is signed in, sign out',
  routes(app, deps) {
    const { ctx } = deps;

    app.post<{ Body: { username: string; password: string } }>(
      '/session',
      {
        config: { adminPublic: true },
        schema: {
          tags: ['session'],
          summary: 'Sign in (members of Administrators only); sets the session cookie',
          security: [],
          body: {
            type: 'object',
            properties: { username: { type: 'string', minLength: 1, maxLength: 200 }, password: { type: 'string', minLength: 1, maxLength: 1024 } },
            required: ['username', 'password'],
            additionalProperties: false,
          },
          response: { 200: sessionSchema, 400: errorSchema, 401: errorSchema, 429: errorSchema },
        },
      },
      async (request, reply: FastifyReply) => {
        const { username, password } = request.body;
        const user = await verifyAdminSignIn(ctx, deps.throttle, { username, ip: request.clientIp }, password);
        const started = await startSession(ctx.store, ctx.clock, user.username, deps.sessionPolicy);
        reply.setCookie(SESSION_COOKIE, started.sessionId, { ...cookieOptions(request), maxAge: deps.sessionPolicy.absoluteSeconds });
        const idleEnd = Math.min(started.expiresAt, ctx.clock.nowSeconds() + deps.sessionPolicy.idleSeconds);
        return { username: user.username, csrf_token: started.csrfToken, expires_at: new Date(idleEnd * 1000).toISOString() };
      },
    );

    app.get(
      '/session',
      { schema: { tags: ['session'], summary: 'The signed-in administrator and the CSRF token', response: { 200: sessionSchema, 401: errorSchema } } },
      async (request) => {
        const admin = request.admin!;
        if (admin.via === 'bearer') return { username: admin.username };
        return {
          username: admin.username,
          csrf_token: csrfTokenFor(admin.sessionId),
          expires_at: new Date(sessionEndsAt(admin.session, deps.sessionPolicy) * 1000).toISOString(),
        };
      },
    );

    app.delete(
      '/session',
      { schema: { tags: ['session'], summary: 'Sign out', response: { 204: { type: 'null' }, 401: errorSchema, 403: errorSchema } } },
      async (request, reply) => {
        const admin = request.admin!;
        if (admin.via === 'session') await endSession(ctx.store, admin.sessionId);
        reply.clearCookie(SESSION_COOKIE, cookieOptions(request));
        reply.code(204).send();
      },
    );
  },
};
