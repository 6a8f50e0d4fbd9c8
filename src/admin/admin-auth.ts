import type { AuthzContext } from '../authz/context.ts';
import { unmatchedName } from '../authz/audit-log.ts';
import { checkResourceOwner } from '../authz/resource-owner.ts';
import { Forbidden, InsufficientScope, InvalidCredentials, InvalidToken, TemporarilyUnavailable } from '../core/errors.ts';
import { ADMIN_GROUP, type AdminSession, type User } from '../core/model.ts';
import { hashSecret } from '../core/secrets.ts';
import { isTokenLive } from '../core/token-state.ts';
import type { LoginAttempt, LoginThrottle } from './login-throttle.ts';

/** The scope an access token needs to call the admin API. */
export const ADMIN_SCOPE = 'admin';

/** The realm of the admin API's Bearer challenges (RFC 6750 §3). */
export const ADMIN_REALM = 'portcullis-admin';

/** Who is calling the admin API, and how they proved it. */
export type AdminPrincipal =
  | { username: string; via: 'session'; sessionId: string; session: AdminSession }
  | { username: string; via: 'bearer' };

export function isAdministrator(user: User | undefined): user is User {
  return user !== undefined && user.enabled && user.groups.includes(ADMIN_GROUP);
}

/**
 * Admin sign-in, in order: throttle, then password (local users first, then the directory, through
 * the same check as every login: checkResourceOwner), then group membership. An unknown or disabled
 * user costs the same as a wrong password, and a correct password of a non-administrator is refused
 * like a wrong one, so that the sign-in form tells nothing about which accounts exist or what they
 * may do. A directory that does not answer gives `503 temporarily_unavailable`.
 * Does NOT start a session.
 */
export async function verifyAdminSignIn(
  ctx: AuthzContext,
  throttle: LoginThrottle,
  attempt: LoginAttempt,
  password: string,
): Promise<User> {
  // THROTTLE STEP: before any password is verified; a throttled attempt never reaches a hash or a bind.
  await throttle.check(attempt);
  let checked;
  try {
    checked = await checkResourceOwner(ctx, attempt.username, password);
  } catch (error) {
    if (error instanceof TemporarilyUnavailable) {
      await throttle.recordUnverified(attempt);
      ctx.audit.record({
        at: ctx.clock.nowSeconds(),
        type: 'login.unavailable',
        ip: attempt.ip,
        username: unmatchedName(attempt.username),
        reason: 'directory_unavailable',
        detail: { via: 'admin' },
      });
    }
    throw error;
  }
  if ('failure' in checked || !isAdministrator(checked.user)) {
    await throttle.recordFailure(attempt);
    ctx.audit.record({
      at: ctx.clock.nowSeconds(),
      type: 'login.failed',
      ip: attempt.ip,
      username: checked.user ? checked.user.username : unmatchedName(attempt.username),
      reason: 'failure' in checked ? checked.failure : 'not_administrator',
      detail: { via: 'admin' },
    });
    throw new InvalidCredentials();
  }
  await throttle.recordSuccess(attempt);
  return checked.user;
}

/**
 * Checks an `Authorization: Bearer` access token for the admin API: live, an access token (not a
 * refresh token), with the `admin` scope, and issued to a resource owner who is an enabled member
 * of Administrators now. 401 when the token is not usable at all, 403 when it is but grants no
 * admin rights.
 * @see RFC 6750 §3.1
 */
export async function authenticateBearer(ctx: AuthzContext, token: string): Promise<AdminPrincipal> {
  const found = await ctx.store.findToken(hashSecret(token));
  if (!found || found.kind !== 'access' || !isTokenLive(found, ctx.clock.nowSeconds())) {
    throw new InvalidToken(undefined, { realm: ADMIN_REALM });
  }
  if (!found.scope.includes(ADMIN_SCOPE)) {
    throw new InsufficientScope(`the access token lacks the ${ADMIN_SCOPE} scope`, { realm: ADMIN_REALM, scope: [ADMIN_SCOPE] });
  }
  const user = found.username === null ? undefined : await ctx.store.findUser(found.username);
  if (user?.directory) ctx.directory?.refreshIfStale(user);
  if (!isAdministrator(user)) throw new Forbidden(`only members of ${ADMIN_GROUP} may use the admin API`);
  return { username: user.username, via: 'bearer' };
}
