import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { AuthzContext } from '../authz/context.ts';
import { checkHttps } from '../authz/request-checks.ts';
import { adminApi } from './admin-api/admin-api.ts';
import { checkConsoleAssets } from '../admin/console-assets.ts';
import { type LoginThrottle, sharedLoginThrottle } from '../admin/login-throttle.ts';
import { DEFAULT_SESSION_POLICY, type SessionPolicy } from '../admin/session.ts';

export interface AdminOptions {
  /** Throttles admin sign-in; by default the token endpoint's own throttle (`ctx.throttle`). */
  throttle?: LoginThrottle;
  sessionPolicy?: SessionPolicy;
  /** The built console (defaults to build/console). */
  consoleDir?: string;
  /** Serve the console's source map (`console.js.map`); only in development (docs/admin.md). */
  sourceMaps?: boolean;
}

/**
 * The console page may load only its own script and stylesheet, may not be framed, and sends
 * requests only to its own origin: nothing from a CDN, nothing inline.
 */
const CONSOLE_SECURITY_HEADERS = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

/** Everything under /admin: the REST API at /admin/api and the web console at /admin/. */
export async function adminRoutes(app: FastifyInstance, options: AdminOptions & { ctx: AuthzContext }): Promise<void> {
  const root = checkConsoleAssets(options.consoleDir);
  // Require-HTTPS covers the console and its API as it covers /oauth/token (docs/security.md):
  // first of all, before a password, a session cookie or a page is read or sent.
  app.addHook('onRequest', async (request) => {
    await checkHttps(options.ctx, { secure: request.protocol === 'https', ip: request.ip });
  });
  await app.register(adminApi, {
    prefix: '/api',
    ctx: options.ctx,
    throttle: options.throttle ?? sharedLoginThrottle(options.ctx),
    sessionPolicy: options.sessionPolicy ?? DEFAULT_SESSION_POLICY,
  });
  await app.register(async (consoleApp) => {
    consoleApp.addHook('onSend', async (_request, reply) => {
      reply.headers(CONSOLE_SECURITY_HEADERS);
    });
    // The source map would hand anyone the console's whole source with its comments: development only.
    const sourceMaps = options.sourceMaps ?? false;
    await consoleApp.register(fastifyStatic, {
      root,
      prefix: '/',
      index: ['index.html'],
      wildcard: true,
      cacheControl: false,
      allowedPath: (pathName) => sourceMaps || !pathName.endsWith('.map'),
    });
    consoleApp.addHook('onSend', async (_request, reply) => {
      reply.header('Cache-Control', 'no-cache');
    });
  });
  app.get('', async (_request, reply) => reply.redirect('/admin/', 301));
}
