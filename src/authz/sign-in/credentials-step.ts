import { InvalidGrant, LoginRequired, TooManyAttempts } from '../../core/errors.ts';
import { generateSecret } from '../../core/secrets.ts';
import { checkThrottle } from '../grants/password.ts';
import { startLoginSession } from '../login-session.ts';
import type { PageAnswer, Problem } from '../pages/views.ts';
import { verifyResourceOwner } from '../resource-owner.ts';
import { branding, formContext, type SignInFlow, type SignInStep } from './flow.ts';

/** The browser's CSRF cookie, made on the first sign-in page it is shown (docs/oauth.md "CSRF protection"). */
function csrfCookie(flow: SignInFlow): string {
  const existing = flow.request.cookies.csrf ?? flow.cookies.csrf;
  if (existing !== undefined) return existing;
  flow.cookies.csrf = generateSecret();
  return flow.cookies.csrf;
}

/** A wait as people say it: seconds under two minutes, else whole minutes (rounded up). */
function waitText(seconds: number): string {
  if (seconds < 120) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  return `${Math.ceil(seconds / 60)} minutes`;
}

function signInPage(flow: SignInFlow, status = 200, problem?: Problem): PageAnswer {
  const typed = flow.request.method === 'POST' ? flow.request.params.username : undefined;
  return {
    status,
    view: {
      page: 'sign-in',
      branding: branding(flow.settings),
      clientName: flow.authz.client.name,
      username: typed ?? flow.authz.loginHint ?? '',
      form: formContext(flow, 'sign-in', csrfCookie(flow)),
      problem,
    },
  };
}

/**
 * The first step: the username and password, checked exactly as the password grant checks them —
 * the same throttle before any hash, the same verification, the same audit records. The client,
 * its right to the grant and the scope were settled before (authorization-request.ts), so the page
 * is never a password oracle for a client that may not use it. A success starts a new login session.
 * @see RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.3
 */
export const credentialsStep: SignInStep = {
  name: 'credentials',
  form: 'sign-in',
  promptNoneError: () => new LoginRequired(),

  async isNeeded(flow) {
    if (flow.signedInNow) return false;
    if (flow.session === undefined || flow.authz.prompt.has('login')) return true;
    const { maxAge } = flow.authz;
    // OpenID Connect Core §3.1.2.1: max_age=0 is prompt=login, even for a sign-in this very second.
    return maxAge !== undefined && (maxAge === 0 || flow.ctx.clock.nowSeconds() - flow.session.record.authTime > maxAge);
  },

  async page(flow) {
    return signInPage(flow);
  },

  async submit(flow) {
    const { ctx, request } = flow;
    const { username, password } = request.params;
    if (username === undefined || username === '') return signInPage(flow, 400, { text: 'Enter your username.', field: 'username' });
    if (password === undefined || password === '') return signInPage(flow, 400, { text: 'Enter your password.', field: 'password' });
    const clientId = flow.authz.client.id;
    try {
      // THROTTLE STEP: before the password is looked at; a throttled attempt never reaches a hash.
      await checkThrottle(ctx, request, clientId);
    } catch (error) {
      if (!(error instanceof TooManyAttempts)) throw error;
      const wait = Number(error.headers['Retry-After'] ?? 1);
      const answer = signInPage(flow, 429, { text: `Too many failed attempts. Wait ${waitText(wait)}, then try again.` });
      return { ...answer, retryAfter: wait };
    }
    let user;
    try {
      user = await verifyResourceOwner(ctx, username, password, { ip: request.ip, clientId });
    } catch (error) {
      if (!(error instanceof InvalidGrant)) throw error;
      return signInPage(flow, 400, { text: 'Wrong username or password.', field: 'password' });
    }
    const started = await startLoginSession(ctx.store, ctx.clock, flow.settings, {
      username: user.username,
      amr: ['pwd'],
      ip: request.ip,
      replacing: request.cookies.session,
    });
    flow.session = { id: started.sessionId, record: started.session };
    flow.signedInNow = true;
    flow.cookies.session = { value: started.sessionId, maxAge: flow.settings.loginSessionMaxTtl };
    ctx.audit.record({
      at: ctx.clock.nowSeconds(),
      type: 'login.succeeded',
      ip: request.ip,
      clientId,
      username: user.username,
      detail: { via: 'authorize' },
    });
    return undefined;
  },
};
