import { CsrfFailed, InvalidGrant, OAuthError } from '../../core/errors.ts';
import type { Client, Settings } from '../../core/model.ts';
import { generateSecret, hashSecret } from '../../core/secrets.ts';
import { errorRedirect, readAuthorizationRequest, redirectBack, resolveRedirectTarget } from '../authorization-request.ts';
import type { AuthzContext } from '../context.ts';
import { formTokenMatches, resumeLoginSession } from '../login-session.ts';
import type { PageAnswer } from '../pages/views.ts';
import { checkHttps } from '../request-checks.ts';
import { liveChallenge } from '../second-factor.ts';
import type { BrowserRequest, CookieChanges, SignInFlow, SignInStep } from '../sign-in/flow.ts';
import { SIGN_IN_STEPS } from '../sign-in/steps.ts';

/** What the authorization endpoint answers the browser: a redirect to the client, or a page. */
export type BrowserAnswer = ({ kind: 'redirect'; location: string } | ({ kind: 'page' } & PageAnswer)) & { cookies: CookieChanges };

/** The browser's live login session, if its cookie names one; a dead one's cookie is cleared. */
async function currentSession(ctx: AuthzContext, settings: Settings, request: BrowserRequest, cookies: CookieChanges): Promise<SignInFlow['session']> {
  const id = request.cookies.session;
  if (id === undefined) return undefined;
  const record = await resumeLoginSession(ctx.store, ctx.clock, settings, id);
  if (record === undefined) {
    cookies.session = null;
    return undefined;
  }
  return { id, record };
}

/**
 * The pending second factor of a sign-in (docs/mfa.md "Sign-in page"), from the `mfa` cookie: only a
 * live challenge of this client counts; a dead one's cookie is cleared.
 */
async function pendingSecondFactor(ctx: AuthzContext, request: BrowserRequest, client: Client, cookies: CookieChanges): Promise<SignInFlow['pendingMfa']> {
  const token = request.cookies.mfa;
  if (token === undefined) return undefined;
  try {
    return await liveChallenge(ctx, token, client);
  } catch (error) {
    if (!(error instanceof InvalidGrant)) throw error;
    cookies.mfa = null;
    return undefined;
  }
}

/**
 * A form's CSRF token must match the cookie it was derived from: the browser's CSRF cookie for the
 * sign-in form, the login session for the approval form. A mismatch is shown as a page, never sent
 * to the client: the request may not be the user's at all.
 */
function checkCsrf(flow: SignInFlow, step: SignInStep): void {
  const cookie = step.form === 'sign-in' ? flow.request.cookies.csrf : flow.session?.id;
  if (!formTokenMatches(step.form, cookie, flow.request.params.csrf_token)) {
    throw new CsrfFailed('this form has expired or did not come from this page; go back to the application and start again');
  }
}

/**
 * Issues the code (RFC 6749 §4.1.2): 256 random bits, stored only as a hash, single use, bound to
 * the client, the redirect URI, the PKCE challenge, the scope, the user, the nonce and the sign-in
 * time, and valid for the `authorization_code_ttl` setting.
 */
async function issueCode(flow: SignInFlow): Promise<string> {
  const { ctx, authz } = flow;
  const session = flow.session!.record;
  const code = generateSecret();
  const now = ctx.clock.nowSeconds();
  await ctx.store.saveAuthorizationCode({
    hash: hashSecret(code),
    clientId: authz.client.id,
    username: session.username,
    redirectUri: authz.redirectUri,
    redirectUriGiven: authz.redirectUriGiven,
    scope: authz.scope,
    codeChallenge: authz.codeChallenge,
    nonce: authz.nonce,
    authTime: session.authTime,
    amr: session.amr,
    issuedAt: now,
    expiresAt: now + flow.settings.authorizationCodeTtl,
    usedAt: null,
    familyId: null,
  });
  ctx.audit.record({ at: now, type: 'code.issued', ip: flow.request.ip, clientId: authz.client.id, username: session.username });
  return redirectBack(authz, ctx.issuer, { code });
}

/**
 * The authorization endpoint (`GET`/`POST /oauth/authorize`), in order: Require-HTTPS; the client and
 * its redirect URI, whose failures are thrown (the HTTP layer shows them as a page and never
 * redirects); the rest of the request, whose failures go back to the client; then a submitted form
 * (its CSRF token first); then the first sign-in step this request still needs, as a page — or,
 * with none left, the code. `prompt=none` turns a needed step into its error.
 * @see RFC 6749 §4.1.1, §4.1.2; RFC 7636; RFC 9207; OpenID Connect Core §3.1.2
 */
export async function authorizationEndpoint(ctx: AuthzContext, request: BrowserRequest): Promise<BrowserAnswer> {
  await checkHttps(ctx, request);
  const target = await resolveRedirectTarget(ctx.store, request);
  const settings = await ctx.settings.get();
  const cookies: CookieChanges = {};
  const back = (error: OAuthError): BrowserAnswer => ({ kind: 'redirect', location: errorRedirect(target, ctx.issuer, error), cookies });
  let flow: SignInFlow;
  try {
    const authz = readAuthorizationRequest(request, target, settings);
    flow = {
      ctx,
      request,
      authz,
      settings,
      session: await currentSession(ctx, settings, request, cookies),
      pendingMfa: await pendingSecondFactor(ctx, request, authz.client, cookies),
      signedInNow: false,
      approvedNow: false,
      cookies,
    };
  } catch (error) {
    if (error instanceof OAuthError) return back(error);
    throw error;
  }
  // Only a POST submits a form: a password in a query string is never read.
  const submitted = request.method === 'POST' ? SIGN_IN_STEPS.find((step) => step.name === request.params.step) : undefined;
  if (submitted) checkCsrf(flow, submitted);
  try {
    if (submitted) {
      const again = await submitted.submit(flow);
      if (again) return { kind: 'page', ...again, cookies };
    }
    for (const step of SIGN_IN_STEPS) {
      if (!(await step.isNeeded(flow))) continue;
      if (flow.authz.prompt.has('none')) throw step.promptNoneError();
      return { kind: 'page', ...(await step.page(flow)), cookies };
    }
    return { kind: 'redirect', location: await issueCode(flow), cookies };
  } catch (error) {
    if (error instanceof OAuthError) return back(error);
    throw error;
  }
}
