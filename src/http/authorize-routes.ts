import fastifyCookie from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthzContext } from '../authz/context.ts';
import { authorizationEndpoint, type BrowserAnswer } from '../authz/endpoints/authorize.ts';
import { logoutEndpoint, logoutPage } from '../authz/endpoints/logout.ts';
import { parseForm } from '../authz/oauth-request.ts';
import { type FormBody, formFields, readFormBodies } from './form-body.ts';
import { renderPage, type RenderedPage } from '../authz/pages/render.tsx';
import { branding, type BrowserRequest } from '../authz/sign-in/flow.ts';
import { InvalidRequest, type OAuthError } from '../core/errors.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route answers browsers: the error boundary shows its errors as this page instead of JSON. */
    errorPage?: (failure: OAuthError) => Promise<RenderedPage>;
  }
}

/**
 * The cookies of the sign-in pages. Over HTTPS they carry the `__Host-` prefix, which makes the
 * browser insist on Secure, Path=/ and no Domain, so that no other host (a sibling subdomain) can
 * plant or overwrite them; on plain HTTP (loopback only, see Require-HTTPS) that prefix is refused
 * by browsers, so the plain names are used there.
 */
function cookieNames(secure: boolean): { session: string; csrf: string; mfa: string } {
  return secure
    ? { session: '__Host-portcullis-session', csrf: '__Host-portcullis-csrf', mfa: '__Host-portcullis-mfa' }
    : { session: 'portcullis-session', csrf: 'portcullis-csrf', mfa: 'portcullis-mfa' };
}

/** HttpOnly (no script reads them) and SameSite=Lax: sent when the user follows a link here, never with another site's POST. */
function cookieOptions(secure: boolean, maxAge?: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax', secure, ...(maxAge === undefined ? {} : { maxAge }) } as const;
}

function toBrowserRequest(request: FastifyRequest): BrowserRequest {
  const secure = request.protocol === 'https';
  const names = cookieNames(secure);
  const base = {
    method: request.method === 'POST' ? ('POST' as const) : ('GET' as const),
    path: request.routeOptions.url ?? '/oauth/authorize',
    cookies: { session: request.cookies[names.session], csrf: request.cookies[names.csrf], mfa: request.cookies[names.mfa] },
    authorization: undefined,
    secure,
    ip: request.clientIp,
  };
  if (request.method === 'GET') {
    const url = request.raw.url ?? '';
    const query = url.indexOf('?');
    return { ...base, ...parseForm(query < 0 ? '' : url.slice(query + 1)) };
  }
  return { ...base, ...formFields(request.body as FormBody) };
}

function send(reply: FastifyReply, secure: boolean, answer: BrowserAnswer): FastifyReply {
  const names = cookieNames(secure);
  const { session, csrf, mfa } = answer.cookies;
  if (mfa === null) reply.clearCookie(names.mfa, cookieOptions(secure));
  else if (mfa !== undefined) reply.setCookie(names.mfa, mfa.value, cookieOptions(secure, mfa.maxAge));
  if (session === null) reply.clearCookie(names.session, cookieOptions(secure));
  else if (session !== undefined) reply.setCookie(names.session, session.value, cookieOptions(secure, session.maxAge));
  if (csrf !== undefined) reply.setCookie(names.csrf, csrf, cookieOptions(secure));
  if (answer.kind === 'redirect') {
    // 303: the browser follows with a GET, whatever the form's method was (RFC 9700 §4.12).
    return reply.code(303).header('Location', answer.location).send();
  }
  const page = renderPage(answer.view);
  if (answer.retryAfter !== undefined) reply.header('Retry-After', String(answer.retryAfter));
  return reply.code(answer.status).header('Content-Security-Policy', page.csp).type('text/html; charset=utf-8').send(page.html);
}

const HEADINGS: Partial<Record<OAuthError['error'], string>> = {
  csrf_failed: 'This form has expired',
  server_error: 'Something went wrong',
};

/**
 * The authorization endpoint and sign-out (docs/oauth.md): HTML for people's browsers, in their own
 * encapsulated context with a strict form parser and cookies. Every answer is `no-store`; errors
 * that cannot go back to the client are shown as a page by the error boundary.
 */
export async function authorizeRoutes(app: FastifyInstance, options: { ctx: AuthzContext }): Promise<void> {
  const { ctx } = options;
  await app.register(fastifyCookie);
  readFormBodies(app, { json: false });
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('Cache-Control', 'no-store');
    reply.header('Pragma', 'no-cache');
    done(null, payload);
  });

  const errorPage = async (failure: OAuthError): Promise<RenderedPage> =>
    renderPage({
      page: 'error',
      branding: branding(await ctx.settings.get()),
      heading: HEADINGS[failure.error] ?? 'This request cannot be completed',
      text: failure.error === 'server_error' ? 'The server could not handle the request. Try again later.' : (failure.description ?? failure.error),
    });
  const config = { errorPage };
  const browser = (run: (request: BrowserRequest) => Promise<BrowserAnswer>) => async (request: FastifyRequest, reply: FastifyReply) =>
    send(reply, request.protocol === 'https', await run(toBrowserRequest(request)));
  const refuse = (allow: string[]) => async () => {
    throw new InvalidRequest(`use ${allow.join(' or ')}`, { allow });
  };

  for (const url of ['/oauth/authorize', '/invoke/pub.oauth/authorize']) {
    app.route({ method: ['GET', 'POST'], url, config, handler: browser((request) => authorizationEndpoint(ctx, request)) });
    app.route({ method: ['PUT', 'DELETE', 'PATCH'], url, config, handler: refuse(['GET', 'POST']) });
  }
  app.get('/oauth/logout', { config }, browser((request) => logoutPage(ctx, request)));
  app.post('/oauth/logout', { config }, browser((request) => logoutEndpoint(ctx, request)));
  app.route({ method: ['PUT', 'DELETE', 'PATCH'], url: '/oauth/logout', config, handler: refuse(['GET', 'POST']) });
}
