import { type Client, MFA_OTP, MFA_RECOVERY_CODE } from '../../core/model.ts';
import type { AuthzContext } from '../context.ts';
import { issueNewGrant, issuesRefreshToken } from '../issue-tokens.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import { AMR, consumeChallenge, liveChallenge, verifyOtp, verifyRecoveryCode } from '../second-factor.ts';
import type { Grant } from './grant.ts';

type Factor = 'otp' | 'recovery_code';

/**
 * The second step of a password login that answered `mfa_required` (docs/mfa.md): the `mfa_token`
 * must be live, unspent and this client's; then the code, under the user's and the token's bounds of
 * guesses; then the token is spent (once: a racing redemption loses) and the tokens are issued with
 * the scope of the password request.
 */
async function redeem(ctx: AuthzContext, request: OAuthRequest, client: Client, factor: Factor) {
  const { challenge, user } = await liveChallenge(ctx, request.params.mfa_token!, client);
  const attempt = { username: user.username, ip: request.ip, clientId: client.id, challenge, via: 'token' as const };
  if (factor === 'otp') await verifyOtp(ctx, attempt, request.params.otp!);
  else await verifyRecoveryCode(ctx, attempt, request.params.recovery_code!);
  await consumeChallenge(ctx, challenge);
  return issueNewGrant(
    ctx,
    client,
    {
      username: user.username,
      // A scope the client lost since the password step is not granted (as for an authorization code).
      scope: challenge.scope.filter((name) => client.scopes.includes(name)),
      withRefresh: issuesRefreshToken(client),
      // RFC 8707: the audience asked for with this request (the password request's is not kept with the mfa_token).
      resource: request.params.resource,
      grantType: factor === 'otp' ? MFA_OTP : MFA_RECOVERY_CODE,
      authentication: { authTime: ctx.clock.nowSeconds(), amr: [...(factor === 'otp' ? AMR.otp : AMR.recoveryCode)] },
    },
    request.ip,
  );
}


/** `mfa_token` and `otp` → tokens. Auth0's grant type is an alias, so that clients written for it work unchanged. */
export const mfaOtpGrant: Grant = {
  grantType: MFA_OTP,
  aliases: ['http://auth0.com/oauth/grant-type/mfa-otp'],
  parameters: ['mfa_token', 'otp'],
  confidentialOnly: false,
  handler: (ctx, request, client) => redeem(ctx, request, client, 'otp'),
};

/** `mfa_token` and `recovery_code` → tokens, and the recovery code is spent. */
export const mfaRecoveryCodeGrant: Grant = {
  grantType: MFA_RECOVERY_CODE,
  aliases: ['http://auth0.com/oauth/grant-type/mfa-recovery-code'],
  parameters: ['mfa_token', 'recovery_code'],
  confidentialOnly: false,
  handler: (ctx, request, client) => redeem(ctx, request, client, 'recovery_code'),
};
