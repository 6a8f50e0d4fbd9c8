import type { AuthzContext } from '../context.ts';
import { issueNewGrant, issuesRefreshToken } from '../issue-tokens.ts';
import { resolveRequestedScope } from '../requested-scope.ts';
import { verifyResourceOwner } from '../resource-owner.ts';
import type { Grant } from './grant.ts';

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
    // The password is touched only now, after the client, the grant and the scope all passed.
    const user = await verifyResourceOwner(ctx, request.params.username!, request.params.password!);
    return issueNewGrant(ctx, client, { username: user.username, scope, withRefresh: issuesRefreshToken(client) });
  },
};
