import type { LoginFailure } from '../core/audit.ts';
import { InvalidGrant, TemporarilyUnavailable } from '../core/errors.ts';
import type { User } from '../core/model.ts';
import type { DirectoryCheck } from '../directory/directory-users.ts';
import { unmatchedName } from './audit-log.ts';
import type { AuthzContext } from './context.ts';

/**
 * Checks a username and password, local users first, then the directory when one is configured
 * (docs/directory.md). Unknown user, disabled user and wrong password come out alike, and each path
 * runs one argon2 verification (a dummy one when no local hash applies, also alongside every
 * directory check, so that the time does not tell local accounts from directory ones). Throws
 * `TemporarilyUnavailable` when the directory does not answer in time; never an answer about the
 * password then. Does NOT throttle, count or audit: `verifyResourceOwner` and admin sign-in do.
 */
export async function checkResourceOwner(ctx: AuthzContext, username: string, password: string): Promise<DirectoryCheck> {
  const user = await ctx.store.findUser(username);
  if (user && user.directory === undefined) {
    if (!user.enabled) {
      await ctx.hasher.verifyDummy(password);
      return { failure: 'disabled_user', user };
    }
    return (await ctx.hasher.verify(user.passwordHash, password)) ? { user } : { failure: 'wrong_password', user };
  }
  if (ctx.directory === undefined) {
    // No directory (any more): a copy of a directory user left in the store is nobody.
    await ctx.hasher.verifyDummy(password);
    return { failure: 'unknown_user', user: undefined };
  }
  const [checked] = await Promise.all([ctx.directory.authenticate(username, password), ctx.hasher.verifyDummy(password)]);
  return checked;
}

/**
 * Verifies a resource owner's username and password (RFC 6749 §4.3.2): the one password check of
 * every login (password grant, admin sign-in, the sign-in page). Unknown user, disabled user and
 * wrong password fail identically, in answer and in time (`checkResourceOwner`). Failures are
 * counted by the throttle and audited with their reason; a success clears the (username, address)
 * counter and upgrades an imported or weaker local hash to argon2id. When the directory does not
 * answer, the attempt is handed back to the throttle and the `503` goes out (docs/directory.md).
 * `proceed` is what the login does with the user (issue tokens, start a session): it runs alongside
 * the success's counter changes, so that on SQLite both writes share one commit, and its result is
 * returned once both are done.
 * Does NOT check the throttle first: the grant does that as its own step.
 */
export async function verifyResourceOwner<T>(
  ctx: AuthzContext,
  username: string,
  password: string,
  origin: { ip: string; clientId: string | null },
  proceed: (user: User) => Promise<T>,
): Promise<T> {
  let checked: DirectoryCheck;
  try {
    checked = await checkResourceOwner(ctx, username, password);
  } catch (error) {
    if (error instanceof TemporarilyUnavailable) await recordUnverified(ctx, username, origin);
    throw error;
  }
  if ('failure' in checked) {
    await ctx.throttle.passwordFailed(username, origin.ip);
    ctx.audit.record({
      at: ctx.clock.nowSeconds(),
      type: 'login.failed',
      ip: origin.ip,
      clientId: origin.clientId,
      username: checked.user ? checked.user.username : unmatchedName(username),
      reason: checked.failure satisfies LoginFailure,
    });
    throw new InvalidGrant('invalid resource owner credentials');
  }
  const user = checked.user;
  const [counted, proceeded] = await Promise.allSettled([
    ctx.throttle.passwordSucceeded(username, origin.ip),
    upgradeHash(ctx, user, password).then(() => proceed(user)),
  ]);
  if (counted.status === 'rejected') throw counted.reason;
  if (proceeded.status === 'rejected') throw proceeded.reason;
  return proceeded.value;
}

/** The directory did not answer: neither a failure nor a success for the throttle; audited as such. */
export async function recordUnverified(ctx: AuthzContext, username: string, origin: { ip: string; clientId: string | null; via?: string }): Promise<void> {
  await ctx.throttle.passwordUnverified(username, origin.ip);
  ctx.audit.record({
    at: ctx.clock.nowSeconds(),
    type: 'login.unavailable',
    ip: origin.ip,
    clientId: origin.clientId,
    username: unmatchedName(username),
    reason: 'directory_unavailable',
    ...(origin.via !== undefined ? { detail: { via: origin.via } } : {}),
  });
}

/** Re-hashes a password that just proved right when its stored hash is imported or weaker (docs/security.md). */
async function upgradeHash(ctx: AuthzContext, user: User, password: string): Promise<void> {
  if (user.directory !== undefined || !ctx.hasher.needsRehash?.(user.passwordHash)) return;
  const upgraded = await ctx.hasher.hash(password);
  // Conditional: a password changed since this login read the user must not be overwritten.
  if (await ctx.store.replacePasswordHash(user.username, user.passwordHash, upgraded)) {
    ctx.audit.record({ at: ctx.clock.nowSeconds(), type: 'password.upgraded', username: user.username });
  }
}
