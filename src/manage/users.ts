import type { Clock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { User } from '../core/model.ts';
import type { PasswordHasher } from '../core/password-hash.ts';
import type { Store } from '../store/store.ts';
import { translateStoreErrors } from './translate.ts';

const USERNAME = /^[^\s\x00-\x1f\x7f]{1,200}$/;
const HASH_SHAPE = /^\$[A-Za-z0-9-]+\$\S+$/;

export interface UserInput {
  username: string;
  /** A plain password to hash, or… */
  password?: string;
  /** …an already-hashed one, imported from another system. */
  passwordHash?: string;
  groups?: string[];
  enabled?: boolean;
}

function checkPassword(password: string): void {
  if (password.length === 0) throw new UserError('the password must not be empty', 400, 'password');
  if (password.length > 1024) throw new UserError('the password is longer than 1024 characters', 400, 'password');
}

export async function createUser(store: Store, hasher: PasswordHasher, clock: Clock, input: UserInput): Promise<User> {
  if (!USERNAME.test(input.username)) {
    throw new UserError('username must be 1 to 200 characters without spaces or control characters', 400, 'username');
  }
  let passwordHash = input.passwordHash;
  // A plain password put where a hash belongs would be stored in the clear: accept only the
  // modular crypt / PHC shape that every supported hash has ($argon2id$…, $2b$…, $scrypt$…).
  if (passwordHash !== undefined && !HASH_SHAPE.test(passwordHash)) {
    throw new UserError('password_hash must be a password hash such as $argon2id$…, not a password');
  }
  if (passwordHash === undefined) {
    if (input.password === undefined) throw new UserError('a password is required');
    checkPassword(input.password);
    passwordHash = await hasher.hash(input.password);
  }
  const user: User = {
    username: input.username,
    passwordHash,
    groups: [...new Set(input.groups ?? [])].sort(),
    enabled: input.enabled ?? true,
    createdAt: clock.nowSeconds(),
  };
  await translateStoreErrors(store.createUser(user));
  return user;
}

export async function requireUser(store: Store, username: string): Promise<User> {
  const user = await store.findUser(username);
  if (!user) throw new UserError(`no user ${username}`, 404);
  return user;
}

/** Sets a new password; every token family and admin console session of the user ends (SPEC §2). */
export async function setPassword(store: Store, hasher: PasswordHasher, clock: Clock, username: string, password: string): Promise<void> {
  checkPassword(password);
  await requireUser(store, username);
  await store.updateUser(username, { passwordHash: await hasher.hash(password) });
  await store.revokeFamiliesOf({ username }, clock.nowSeconds());
  await store.deleteAdminSessionsOf(username);
}

/** Enables or disables a user; disabling ends every token family and admin console session of the user. */
export async function setUserEnabled(store: Store, clock: Clock, username: string, enabled: boolean): Promise<void> {
  await requireUser(store, username);
  await store.updateUser(username, { enabled });
  if (!enabled) {
    await store.revokeFamiliesOf({ username }, clock.nowSeconds());
    await store.deleteAdminSessionsOf(username);
  }
}

export async function setUserGroups(store: Store, username: string, groups: string[]): Promise<void> {
  await requireUser(store, username);
  await translateStoreErrors(store.updateUser(username, { groups: [...new Set(groups)] }));
}

/** Deletes a user, ending their token families first. */
export async function deleteUser(store: Store, clock: Clock, username: string): Promise<void> {
  await requireUser(store, username);
  await store.revokeFamiliesOf({ username }, clock.nowSeconds());
  await store.deleteUser(username);
}

/** What the CLI and APIs show of a user: never the hash. */
export function describeUser(user: User): Record<string, unknown> {
  return {
    username: user.username,
    groups: user.groups,
    enabled: user.enabled,
    created_at: new Date(user.createdAt * 1000).toISOString(),
  };
}
