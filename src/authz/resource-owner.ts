import { InvalidGrant } from '../core/errors.ts';
import type { User } from '../core/model.ts';
import type { AuthzContext } from './context.ts';

/**
 * Verifies a resource owner's username and password (RFC 6749 §4.3.2). Unknown user, disabled user
 * and wrong password fail identically, and each runs one argon2 verification, so that neither the
 * answer nor its timing tells which it was.
 */
export async function verifyResourceOwner(ctx: AuthzContext, username: string, password: string): Promise<User> {
  const user = await ctx.store.findUser(username);
  if (!user || !user.enabled) {
    await ctx.hasher.verifyDummy(password);
    throw invalidCredentials();
  }
  if (!(await ctx.hasher.verify(user.passwordHash, password))) throw invalidCredentials();
  return user;
}

function invalidCredentials(): InstanceType<typeof InvalidGrant> {
  return new InvalidGrant('invalid resource owner credentials');
}
