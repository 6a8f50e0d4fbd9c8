import { InsufficientScope, InvalidToken } from '../../core/errors.ts';
import type { AuthzContext } from '../context.ts';
import { OPENID_SCOPE } from '../id-token.ts';

/** The owner and scope of an access token that the caller has already verified (live, not revoked). */
export interface UserinfoToken {
  username: string | null;
  scope: string[];
}

/**
 * The UserInfo endpoint: claims about the user of an `openid` access token — `sub` (the username,
 * as in ID tokens), `preferred_username`, `groups`, and `name` and `email` where set. A token without
 * a user or without `openid` is `insufficient_scope`; a user deleted or disabled since is
 * `invalid_token`. Does NOT verify the token: the caller does (the store, so revocation is exact).
 * @see OpenID Connect Core §5.3
 */
export async function userinfoEndpoint(ctx: AuthzContext, token: UserinfoToken): Promise<Record<string, unknown>> {
  if (token.username === null || !token.scope.includes(OPENID_SCOPE)) throw new InsufficientScope(undefined, { scope: [OPENID_SCOPE] });
  const user = await ctx.store.findUser(token.username);
  if (!user?.enabled) throw new InvalidToken();
  const claims: Record<string, unknown> = { sub: user.username, preferred_username: user.username, groups: user.groups };
  if (user.name) claims.name = user.name;
  if (user.email) claims.email = user.email;
  return claims;
}
