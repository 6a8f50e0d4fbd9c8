import { unmatchedName } from '../audit-log.ts';
import type { AuthzContext } from '../context.ts';
import { issueNewGrant, issuesRefreshToken } from '../issue-tokens.ts';
import type { OAuthRequest } from '../oauth-request.ts';
import { resolveRequestedScope } from '../requested-scope.ts';
import { verifyResourceOwner } from '../resource-owner.ts';
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
 * Resource Owner Password Credentials grant.
 * @see RFC 6749 §4.3
 */
export const passwordGrant: Grant = {
  grantType: 'password',
  parameters: ['username', 'password'],
  confidentialOnly: false,
  async handler(ctx: AuthzContext, request, client) {
    const scope = resolveRequestedScope(client, request.params.scope);
    await checkThrottle(ctx, request, client.id);
    // The password is touched only now, after the client, the grant, the scope and the throttle all passed.
    const user = await verifyResourceOwner(ctx, request.params.username!, request.params.password!, { ip: request.ip, clientId: client.id });
    return issueNewGrant(
      ctx,
      client,
      { username: user.username, scope, withRefresh: issuesRefreshToken(client), resource: request.params.resource },
      request.ip,
    );
  },
};
