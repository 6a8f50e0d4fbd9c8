import { InvalidGrant, LoginRequired, TooManyAttempts } from '../../core/errors.ts';
import { generateSecret } from '../../core/secrets.ts';
import { checkThrottle } from '../grants/password.ts';
import { startLoginSession } from '../login-session.ts';
import type { PageAnswer, Problem } from '../pages/views.ts';
import { verifyResourceOwner } from '../resource-owner.ts';
import { AMR, MFA_TOKEN_TTL_SECONDS, secondFactorAsked, startMfaChallenge } from '../second-factor.ts';
import { branding, formContext, type SignInFlow, type SignInStep } from './flow.ts';

/** The browser's CSRF cookie, made on the first sign-in page it is shown (docs/oauth.md "CSRF protection"). */
export function csrfCookie(flow: SignInFlow): string {
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
 * Ends a sign-in whose every step is done: a new login session (in place of the browser's old one)
 * with how the user proved who they are (RFC 8176 `amr`), its cookie, and `login.succeeded`.
 */
export async function finishSignIn(flow: SignInFlow, username: string, amr: string[]): Promise<void> {
  const { ctx, request } = flow;
  const started = await startLoginSession(ctx.store, ctx.clock, flow.settings, { username, amr, ip: request.ip, replacing: request.cookies.session });
  flow.session = { id: started.sessionId, record: started.session };
  flow.signedInNow = true;
  flow.cookies.session = { value: started.sessionId, maxAge: flow.settings.loginSessionMaxTtl };
  ctx.audit.record({
    at: ctx.clock.nowSeconds(),
    type: 'login.succeeded',
    ip: request.ip,
    clientId: flow.authz.client.id,
    username,
    detail: { via: 'authorize', amr: amr.join(' ') },
  });
}

/** A wait as people say it, for a throttled attempt's page. */
export function throttledText(error: InstanceType<typeof TooManyAttempts>): { text: string; wait: number } {
  const wait = Number(error.headers['Retry-After'] ?? 1);
  return { text: `Too many failed attempts. Wait ${waitText(wait)}, then try again.`, wait };
}

/**
 * The first step: the username and password, checked exactly as the password grant checks them —
 * the same throttle before any hash, the same verification, the same audit records. The client,
 * its right to the grant and the scope were settled before (authorization-request.ts), so the page
 * is never a password oracle for a client that may not use it. A success starts a new login session,
 * or, when the MFA policy asks this user for a second factor, a pending challenge for the next step.
 * @see RFC 6749 §4.1.1, OpenID Connect Core §3.1.2.3
 */
export const credentialsStep: SignInStep = {
  name: 'credentials',
  form: 'sign-in',
  promptNoneError: () => new LoginRequired(),

  async isNeeded(flow) {
    if (flow.signedInNow || flow.pendingMfa !== undefined) return false;
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
      const { text, wait } = throttledText(error);
      return { ...signInPage(flow, 429, { text }), retryAfter: wait };
    }
    let user;
    try {
      user = await verifyResourceOwner(ctx, username, password, { ip: request.ip, clientId }, async (verified) => verified);
    } catch (error) {
      if (!(error instanceof InvalidGrant)) throw error;
      return signInPage(flow, 400, { text: 'Wrong username or password.', field: 'password' });
    }
    // The password was right; a second factor, when the policy asks for one, comes before any session.
    if (await secondFactorAsked(ctx, user, flow.authz.client)) {
      const { token, challenge } = await startMfaChallenge(ctx, user, flow.authz.client, flow.authz.scope, request.ip);
      flow.pendingMfa = { challenge, user };
      flow.cookies.mfa = { value: token, maxAge: MFA_TOKEN_TTL_SECONDS };
      return undefined;
    }
    await finishSignIn(flow, user.username, [...AMR.password]);
    return undefined;
  },
};
