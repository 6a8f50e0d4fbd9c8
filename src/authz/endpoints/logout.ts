import { CsrfFailed } from '../../core/errors.ts';
import { hashSecret } from '../../core/secrets.ts';
import type { AuthzContext } from '../context.ts';
import { formToken, formTokenMatches, resumeLoginSession } from '../login-session.ts';
import { checkForm, checkHttps } from '../request-checks.ts';
import { branding, type BrowserRequest } from '../sign-in/flow.ts';
import type { BrowserAnswer } from './authorize.ts';

/** `GET /oauth/logout`: a page with a sign-out button (the form carries the session's CSRF token). */
export async function logoutPage(ctx: AuthzContext, request: BrowserRequest): Promise<BrowserAnswer> {
  await checkHttps(ctx, request);
  const settings = await ctx.settings.get();
  const id = request.cookies.session;
  const session = id === undefined ? undefined : await resumeLoginSession(ctx.store, ctx.clock, settings, id);
  if (id === undefined || session === undefined) {
    return { kind: 'page', status: 200, view: { page: 'signed-out', branding: branding(settings) }, cookies: id === undefined ? {} : { session: null } };
  }
  return {
    kind: 'page',
    status: 200,
    view: { page: 'sign-out', branding: branding(settings), username: session.username, form: { action: request.path, csrfToken: formToken('sign-out', id) } },
    cookies: {},
  };
}

/**
 * `POST /oauth/logout`: ends the browser's login session (docs/oauth.md "Login sessions"). The
 * form's CSRF token is derived from the session, so that no other page can sign the user out.
 * Tokens already issued are not touched: they belong to the applications, which revoke them.
 */
export async function logoutEndpoint(ctx: AuthzContext, request: BrowserRequest): Promise<BrowserAnswer> {
  checkForm(request);
  await checkHttps(ctx, request);
  const settings = await ctx.settings.get();
  const id = request.cookies.session;
  if (id !== undefined) {
    if (!formTokenMatches('sign-out', id, request.params.csrf_token)) throw new CsrfFailed('this form has expired or did not come from the sign-out page');
    const session = await ctx.store.findLoginSession(hashSecret(id));
    if (session && (await ctx.store.deleteLoginSession(session.idHash))) {
      ctx.audit.record({ at: ctx.clock.nowSeconds(), type: 'session.ended', ip: request.ip, username: session.username, reason: 'logout' });
    }
  }
  return { kind: 'page', status: 200, view: { page: 'signed-out', branding: branding(settings) }, cookies: { session: null } };
}
