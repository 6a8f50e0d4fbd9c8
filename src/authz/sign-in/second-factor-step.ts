import QRCode from 'qrcode';
import { InvalidGrant, LoginRequired, TooManyAttempts } from '../../core/errors.ts';
import { enrolTotp, otpIssuerName } from '../mfa-enrolment.ts';
import type { PageAnswer, Problem } from '../pages/views.ts';
import { AMR, consumeChallenge, verifyOtp, verifyRecoveryCode } from '../second-factor.ts';
import { csrfCookie, finishSignIn, throttledText } from './credentials-step.ts';
import { branding, formContext, type SignInFlow, type SignInStep } from './flow.ts';

function pending(flow: SignInFlow) {
  // isNeeded said so: the credentials step or the cookie left a pending challenge.
  return flow.pendingMfa!;
}

/**
 * The page: the code field; for a user the policy requires but who has no factor yet, first the new
 * factor (QR code, secret, recovery codes). An unconfirmed enrolment shown again keeps its secret (the
 * app may have scanned it already), with new recovery codes.
 */
async function secondFactorPage(flow: SignInFlow, status = 200, problem?: Problem): Promise<PageAnswer> {
  const { ctx } = flow;
  const { user } = pending(flow);
  const factor = await ctx.store.findMfaFactor(user.username);
  let enrolment;
  if (factor?.confirmedAt === undefined || factor.confirmedAt === null) {
    const made = await enrolTotp(ctx, user.username, { issuer: otpIssuerName(ctx.issuer), confirmed: false, replaceConfirmed: false, keepSecret: true });
    if (made) {
      ctx.audit.record({ at: ctx.clock.nowSeconds(), type: 'mfa.enrolled', ip: flow.request.ip, username: user.username, detail: { via: 'authorize', confirmed: false } });
      enrolment = { qrSvg: await QRCode.toString(made.uri, { type: 'svg', margin: 1 }), secret: made.secret, recoveryCodes: made.recoveryCodes };
    }
  }
  return {
    status,
    view: {
      page: 'second-factor',
      branding: branding(flow.settings),
      clientName: flow.authz.client.name,
      username: user.username,
      form: formContext(flow, 'sign-in', csrfCookie(flow)),
      problem,
      enrolment,
    },
  };
}

/**
 * The second step of a sign-in whose user the MFA policy asks for a second factor (docs/mfa.md
 * "Sign-in page"): a TOTP code, or a recovery code, checked exactly as the MFA grants check them —
 * the same throttle per user and per challenge, replay refusal and audit. The challenge came from the
 * password step (an `mfa` cookie, bound to this client and user, 5 minutes); only its success starts
 * the login session, with `amr` telling how.
 */
export const secondFactorStep: SignInStep = {
  name: 'second-factor',
  form: 'sign-in',
  promptNoneError: () => new LoginRequired(),

  async isNeeded(flow) {
    return flow.pendingMfa !== undefined && !flow.signedInNow;
  },

  page: (flow) => secondFactorPage(flow),

  async submit(flow) {
    if (flow.pendingMfa === undefined) return undefined;
    const { ctx, request } = flow;
    const { challenge, user } = pending(flow);
    const otp = request.params.otp?.trim() ?? '';
    const recoveryCode = request.params.recovery_code?.trim() ?? '';
    if (otp === '' && recoveryCode === '') return secondFactorPage(flow, 400, { text: 'Enter the code from your authenticator app.', field: 'otp' });
    const attempt = { username: user.username, ip: request.ip, clientId: flow.authz.client.id, challenge, via: 'authorize' as const };
    try {
      if (otp !== '') await verifyOtp(ctx, attempt, otp);
      else await verifyRecoveryCode(ctx, attempt, recoveryCode);
      await consumeChallenge(ctx, challenge);
    } catch (error) {
      if (error instanceof TooManyAttempts) {
        const { text, wait } = throttledText(error);
        return { ...(await secondFactorPage(flow, 429, { text })), retryAfter: wait };
      }
      if (!(error instanceof InvalidGrant)) throw error;
      const field = otp !== '' ? 'otp' : 'recovery_code';
      return secondFactorPage(flow, 400, { text: error.description ? `${error.description[0]!.toUpperCase()}${error.description.slice(1)}.` : 'Wrong code.', field });
    }
    flow.pendingMfa = undefined;
    flow.cookies.mfa = null;
    await finishSignIn(flow, user.username, [...(otp !== '' ? AMR.otp : AMR.recoveryCode)]);
    return undefined;
  },
};
