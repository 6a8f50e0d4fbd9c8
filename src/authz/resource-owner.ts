import type { LoginFailure } from '../core/audit.ts';
import { InvalidGrant } from '../core/errors.ts';
import type { User } from '../core/model.ts';
import { unmatchedName } from './audit-log.ts';
import type { AuthzContext } from './context.ts';

/**
 * Verifies a resource owner's username and password (RFC 6749 §4.3.2). Unknown user, disabled user
 * and wrong password fail identically, and each runs one argon2 verification (an empty password
 * too), so that neither the answer nor its timing tells which it was. Failures are counted by the
 * throttle and audited with their reason; a success clears the (username, address) counter and
 * upgrades an imported or weaker hash to argon2id.
 * Does NOT check the throttle first: the grant does that as its own step.
 */
export async function verifyResourceOwner(
  ctx: AuthzContext,
  username: string,
  password: string,
  origin: { ip: string; clientId: string | null },
): Promise<User> {
  const user = await ctx.store.findUser(username);
  let failure: LoginFailure | undefined;
  if (!user || !user.enabled) {
    await ctx.hasher.verifyDummy(password);
    failure = user ? 'disabled_user' : 'unknown_user';
  } else if (!(await ctx.hasher.verify(user.passwordHash, password))) {
    failure = 'wrong_password';
  }
  if (failure !== undefined || !user) {
    await ctx.throttle.passwordFailed(username, origin.ip);
    ctx.audit.record({
      at: ctx.clock.nowSeconds(),
      type: 'login.failed',
      ip: origin.ip,
      clientId: origin.clientId,
      username: user ? user.username : unmatchedName(username),
      reason: failure ?? 'unknown_user',
    });
    throw new InvalidGrant('invalid resource owner credentials');
  }
  await ctx.throttle.passwordSucceeded(username, origin.ip);
  await upgradeHash(ctx, user, password);
  return user;
}

/** Re-hashes a password that just proved right when its stored hash is imported or weaker (docs/security.md). */
async function upgradeHash(ctx: AuthzContext, user: User, password: string): Promise<void> {
  if (!ctx.hasher.needsRehash?.(user.passwordHash)) return;
  const upgraded = await ctx.hasher.hash(password);
  // Conditional: a password changed since this login read the user must not be overwritten.
  if (await ctx.store.replacePasswordHash(user.username, user.passwordHash, upgraded)) {
    ctx.audit.record({ at: ctx.clock.nowSeconds(), type: 'password.upgraded', username: user.username });
  }
}
