import fastifyCookie from '@fastify/cookie';
import { asActor } from '../../manage/actor.ts';
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readBearer } from '../../core/bearer-token.ts';
import { CsrfFailed, Forbidden, InvalidRequest, InvalidToken, Unauthorized } from '../../core/errors.ts';
import { CHARSET_REFUSAL, declaresUtf8 } from '../charset.ts';
import { ADMIN_REALM, type AdminPrincipal, authenticateBearer, isAdministrator } from '../../admin/admin-auth.ts';
import { csrfTokenMatches, endSession, resumeSession } from '../../admin/session.ts';
import { aclRoutes } from './acls.ts';
import { auditRoutes } from './audit.ts';
import { clientRoutes } from './clients.ts';
import { directoryRoutes } from './directory.ts';
import { groupRoutes } from './groups.ts';
import { scopeRoutes } from './scopes.ts';
import { serviceRoutes } from './services.ts';
import { SESSION_COOKIE, sessionRoutes } from './session.ts';
import { settingsRoutes } from './settings.ts';
import { signInRoutes } from './sign-in.ts';
import { tokenRoutes } from './tokens.ts';
import { throttleRoutes } from './throttle.ts';
import { userMfaRoutes } from './user-mfa.ts';
import { userRoutes } from './users.ts';
import type { AdminDeps, AdminResource } from './resource.ts';
import { validatorCompiler } from './validator.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no signed-in administrator (sign-in itself, the OpenAPI document). */
    adminPublic?: boolean;
  }
  interface FastifyRequest {
    admin: AdminPrincipal | null;
  }
}

/**
 * Every resource of the admin API. Adding one (services and ACLs, the audit log, throttled
 * accounts) is a new file in this folder and one line here.
 */
export const ADMIN_RESOURCES: AdminResource[] = [
  sessionRoutes,
  settingsRoutes,
  clientRoutes,
  scopeRoutes,
  userRoutes,
  userMfaRoutes,
  groupRoutes,
  tokenRoutes,
  serviceRoutes,
  aclRoutes,
  auditRoutes,
  throttleRoutes,
  directoryRoutes,
  signInRoutes,
];

export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling: a bearer token when an `Authorization` header is present, else the session cookie.
 * Runs before body validation, so that an unauthenticated caller learns nothing about the body's shape.
 */
async function authenticate(deps: AdminDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (request.routeOptions.config.adminPublic) return;
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const bearer = readBearer(authorization);
    if (bearer.kind !== 'token') throw new InvalidToken('use Authorization: Bearer <access token>', { realm: ADMIN_REALM });
    request.admin = await authenticateBearer(deps.ctx, bearer.token);
    return;
  }
  const sessionId = request.cookies[SESSION_COOKIE];
  const session = sessionId ? await resumeSession(deps.ctx.store, deps.ctx.clock, sessionId, deps.sessionPolicy) : undefined;
  if (!sessionId || !session) {
    if (sessionId) reply.clearCookie(SESSION_COOKIE, { path: '/admin' });
    throw new Unauthorized(sessionId ? 'the session has expired; sign in again' : 'sign in first', { realm: ADMIN_REALM });
  }
  // Membership is checked on every request: removing someone from Administrators takes effect at once
  // (for a directory user, once the cached copy is refreshed: docs/directory.md).
  const user = await deps.ctx.store.findUser(session.username);
  if (user?.directory) deps.ctx.directory?.refreshIfStale(user);
  if (!isAdministrator(user)) {
    await endSession(deps.ctx.store, sessionId);
    throw new Forbidden('only members of Administrators may use the admin console');
  }
  // A cookie is sent by the browser whatever page asks; the CSRF token proves the page is ours.
  if (!SAFE_METHODS.has(request.method) && !csrfTokenMatches(sessionId, request.headers[CSRF_HEADER] as string | undefined)) {
    throw new CsrfFailed(`missing or wrong ${CSRF_HEADER} header`);
  }
  request.admin = { username: session.username, via: 'session', sessionId, session };
}

/**
 * The admin REST API under /admin/api, in its own encapsulated context. Its errors leave through the
 * server's error boundary like every other: `{"error", "error_description", "field"?}`.
 */
export async function adminApi(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  app.setValidatorCompiler(validatorCompiler());
  app.decorateRequest('admin', null);
  await app.register(fastifyCookie);
  // JSON only: text/plain is a type any page may send cross-site without a CORS preflight.
  app.removeContentTypeParser('text/plain');

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Portcullis admin API',
        version: '1',
        description:
          'Manage an OAuth 2.0 authorization server. Authenticate with the console session cookie ' +
          `(state-changing requests also need the ${CSRF_HEADER} header) or with an access token of an ` +
          'Administrators member that carries the `admin` scope.',
      },
      tags: ADMIN_RESOURCES.map((resource) => ({ name: resource.tag, description: resource.description })),
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          csrf: { type: 'apiKey', in: 'header', name: CSRF_HEADER },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ session: [], csrf: [] }, { bearer: [] }],
    },
  });

  app.addHook('onRequest', async (request, reply) => authenticate(deps, request, reply));
  // After authentication, so that an anonymous caller learns nothing about bodies; before parsing.
  app.addHook('preParsing', async (request) => {
    if (!declaresUtf8(request.headers['content-type'])) throw new InvalidRequest(CHARSET_REFUSAL, { status: 415 });
  });
  // The handler runs on the administrator's behalf: every change it audits names them.
  app.addHook('preHandler', (request, _reply, done) => {
    const admin = request.admin;
    if (admin === null) {
      done();
      return;
    }
    asActor({ name: admin.username, via: admin.via === 'session' ? 'admin_session' : 'admin_token' }, done);
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('Cache-Control', 'no-store');
    reply.header('Pragma', 'no-cache');
  });

  app.get('/openapi.json', { config: { adminPublic: true }, schema: { hide: true } }, async () => app.swagger());
  for (const resource of ADMIN_RESOURCES) resource.routes(app, deps);
}
