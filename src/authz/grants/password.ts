import { MfaRequired } from '../../core/errors.ts';
import { unmatchedName } from '../audit-log.ts';
import type { AuthzContext } from '../context.ts';
import { endUserAddress } from '../end-user-address.ts';
import { issueNewGrant, issuesRefreshToken } from '../issue-tokens.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import { resolveRequestedScope } from '../requested-scope.ts';
import { verifyResourceOwner } from '../resource-owner.ts';
import { AMR, secondFactorAsked, startMfaChallenge, verifyOtp } from '../second-factor.ts';
import { Throttled } from '../throttle.ts';
import type { Grant } from './grant.ts';

/**
 * docs/oauth.md, step 7: a blocked (username, address) or address is refused with `429` before any hash
 * runs; a username under attack from many addresses is slowed down.
 */
export async function checkThrottle(ctx: AuthzContext, request: OAuthRequest, clientId: string): Promise<void> {
  try {
    await ctx.throttle.beforePassword(request.params.username!, request.ip);
  } catch (error) {
    if (error instanceof Throttled) {
      // Only a name that is an account is recorded as such: it may be a password typed in the wrong field.
      const username = request.params.username!;
      const known = await ctx.store.findUser(username);
      ctx.audit.record({
        at: ctx.clock.nowSeconds(),
        type: 'login.throttled',
        ip: request.ip,
        clientId,
        username: known ? known.username : unmatchedName(username),
        reason: error.reason,
      });
    }
    throw error;
  }
}

/**
 * Resource Owner Password Credentials grant. A user whom the MFA policy asks for a second factor
 * (docs/mfa.md) gets `403 mfa_required` with an `mfa_token` after a correct password, unless the
 * request carries the `otp` itself.
 * @see RFC 6749 §4.3
 */
export const passwordGrant: Grant = {
  grantType: 'password',
  parameters: ['username', 'password'],
  confidentialOnly: false,
  async handler(ctx: AuthzContext, request, client) {
    // A trusted backend's end user is counted and audited under their own address.
    const ip = endUserAddress(client, request);
    const scope = resolveRequestedScope(client, request.params.scope);
    await checkThrottle(ctx, { ...request, ip }, client.id);
    // The password is touched only now, after the client, the grant, the scope and the throttle all passed.
    return verifyResourceOwner(ctx, request.params.username!, request.params.password!, { ip, clientId: client.id }, async (user) => {
      const grant = { username: user.username, scope, withRefresh: issuesRefreshToken(client), resource: request.params.resource };
      // Only after a correct password: a wrong one never reveals whether the user has a second factor.
      if (!(await secondFactorAsked(ctx, user, client))) {
        return issueNewGrant(ctx, client, { ...grant, authentication: { authTime: ctx.clock.nowSeconds(), amr: [...AMR.password] } }, ip);
      }
      const otp = request.params.otp;
      if (otp === undefined) throw new MfaRequired(undefined, { mfaToken: (await startMfaChallenge(ctx, user, client, scope, ip)).token });
      await verifyOtp(ctx, { username: user.username, ip, clientId: client.id, via: 'token' }, otp);
      return issueNewGrant(ctx, client, { ...grant, authentication: { authTime: ctx.clock.nowSeconds(), amr: [...AMR.otp] } }, ip);
    });
  },
};
