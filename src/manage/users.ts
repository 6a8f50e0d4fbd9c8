import { type Clock, systemClock } from '../core/clock.ts';
import { UserError, WeakPassword } from '../core/errors.ts';
import type { User } from '../core/model.ts';
import { isAcceptedPasswordHash, type PasswordHasher } from '../core/password-hash.ts';
import { passwordProblem } from '../core/password-policy.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';
import { translateStoreErrors } from './translate.ts';

// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const USERNAME = /^[^\s\x00-\x1f\x7f]{1,200}$/;

export interface UserInput {
  username: string;
  /** A plain password to hash, or… */
  password?: string;
  /** …an already-hashed one, imported from another system. */
  passwordHash?: string;
  groups?: string[];
  enabled?: boolean;
  /** Optional profile claims (userinfo); empty is none. */
  name?: string;
  email?: string;
}

/** A profile change: a string sets the claim, `''` clears it, absent leaves it. */
export interface ProfileInput {
  name?: string;
  email?: string;
}

// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const CONTROL = /[\x00-\x1f\x7f]/;
/** Something that reads as an address (RFC 5322's full grammar is not the point: userinfo only repeats it). */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/** Checks the profile claims; `''` becomes `null` (cleared). */
function checkProfile(input: ProfileInput): { name?: string | null; email?: string | null } {
  const profile: { name?: string | null; email?: string | null } = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length > 200 || CONTROL.test(name)) throw new UserError('name must be at most 200 characters without control characters', 'invalid_request', 'name');
    profile.name = name === '' ? null : name;
  }
  if (input.email !== undefined) {
    const email = input.email.trim();
    if (email !== '' && (email.length > 254 || !EMAIL.test(email))) throw new UserError('email must be an address like name@example.org', 'invalid_request', 'email');
    profile.email = email === '' ? null : email;
  }
  return profile;
}

/**
 * A new password meets the policy (docs/security.md#passwords-set-through-portcullis): at least
 * `password_min_length` characters, not on the common-password list. Checked wherever a password
 * is set (CLI, admin API, `apply`), never at login.
 */
async function checkPassword(store: Store, password: string): Promise<void> {
  const { passwordMinLength } = await store.getSettings();
  const problem = await passwordProblem(password, passwordMinLength);
  if (problem !== undefined) throw new WeakPassword(problem);
}

export async function createUser(store: Store, hasher: PasswordHasher, clock: Clock, input: UserInput): Promise<User> {
  if (!USERNAME.test(input.username)) {
    throw new UserError('username must be 1 to 200 characters without spaces or control characters', 'invalid_request', 'username');
  }
  let passwordHash = input.passwordHash;
  if (passwordHash !== undefined && !isAcceptedPasswordHash(passwordHash)) {
    // The message never echoes the value: it may be a plain password pasted by mistake.
    throw new UserError('the password hash must be argon2 (PHC), bcrypt ($2a$/$2b$/$2y$), $pbkdf2-sha256$, $pbkdf2-sha512$ or $scrypt$; see docs/security.md');
  }
  if (passwordHash === undefined) {
    if (input.password === undefined) throw new UserError('a password is required');
    await checkPassword(store, input.password);
    passwordHash = await hasher.hash(input.password);
  }
  const profile = checkProfile(input);
  const user: User = {
    username: input.username,
    passwordHash,
    groups: [...new Set(input.groups ?? [])].sort(),
    enabled: input.enabled ?? true,
    createdAt: clock.nowSeconds(),
    ...(profile.name ? { name: profile.name } : {}),
    ...(profile.email ? { email: profile.email } : {}),
  };
  await translateStoreErrors(store.createUser(user));
  await auditChange(store, clock, { type: 'user.created', username: user.username, detail: { imported_hash: input.passwordHash !== undefined } });
  return user;
}

export async function requireUser(store: Store, username: string): Promise<User> {
  const user = await store.findUser(username);
  if (!user) throw new UserError(`no user ${username}`, 'not_found');
  return user;
}

/**
 * A local user, for a change: a directory user's password, groups and enabled flag are the
 * directory's to change (docs/directory.md); here they are a read-only copy.
 */
async function requireLocalUser(store: Store, username: string): Promise<User> {
  const user = await requireUser(store, username);
  if (user.directory) throw new UserError(`${username} is a directory user: change it in the directory (docs/directory.md)`);
  return user;
}

/**
 * Ends everything a user's old credentials opened: token families, unused authorization codes,
 * pending second-factor challenges (`mfa_token`s), admin console sessions and login sessions. Returns how many grants and login sessions ended.
 */
async function endAccess(store: Store, clock: Clock, username: string): Promise<{ revoked_grants: number; ended_sessions: number }> {
  const revoked = await store.revokeFamiliesOf({ username }, clock.nowSeconds());
  await store.deleteAuthorizationCodesOf(username);
  await store.deleteMfaChallengesOf(username);
  await store.deleteAdminSessionsOf(username);
  const ended = await store.deleteLoginSessionsOf(username);
  return { revoked_grants: revoked, ended_sessions: ended };
}

/** Sets a new password; every token family, authorization code, admin console and login session of the user ends (docs/oauth.md). */
export async function setPassword(store: Store, hasher: PasswordHasher, clock: Clock, typed: string, password: string): Promise<void> {
  const { username } = await requireLocalUser(store, typed);
  await checkPassword(store, password);
  await store.updateUser(username, { passwordHash: await hasher.hash(password) });
  await auditChange(store, clock, { type: 'user.password_changed', username, detail: await endAccess(store, clock, username) });
}

/** Enables or disables a user; disabling ends every token family, authorization code, admin console and login session of the user. */
export async function setUserEnabled(store: Store, clock: Clock, typed: string, enabled: boolean): Promise<void> {
  const { username } = await requireLocalUser(store, typed);
  await store.updateUser(username, { enabled });
  const detail = enabled ? { revoked_grants: 0 } : await endAccess(store, clock, username);
  await auditChange(store, clock, { type: enabled ? 'user.enabled' : 'user.disabled', username, detail });
}

export async function setUserGroups(store: Store, typed: string, groups: string[], clock: Clock = systemClock): Promise<void> {
  const { username } = await requireLocalUser(store, typed);
  await translateStoreErrors(store.updateUser(username, { groups: [...new Set(groups)] }));
  await auditChange(store, clock, { type: 'user.groups_changed', username, detail: { groups: [...new Set(groups)].sort().join(' ') } });
}

/** Sets or clears a user's `name` and `email` (userinfo's claims); directory users' too (the directory has none of ours). */
export async function setUserProfile(store: Store, clock: Clock, typed: string, input: ProfileInput): Promise<User> {
  const profile = checkProfile(input);
  // Written under the stored spelling: `Alice` typed for the account `alice` (docs/security.md#usernames).
  const { username } = await requireUser(store, typed);
  await store.updateUser(username, profile);
  await auditChange(store, clock, { type: 'user.profile_changed', username, detail: { fields: Object.keys(profile).sort().join(' ') } });
  return requireUser(store, username);
}

/**
 * Deletes a user, ending their token families first; their codes, sessions and consents go with the
 * account. For a directory user this forgets the cached copy; it comes back at their next login.
 */
export async function deleteUser(store: Store, clock: Clock, typed: string): Promise<void> {
  const { username } = await requireUser(store, typed);
  const revoked = await store.revokeFamiliesOf({ username }, clock.nowSeconds());
  await store.deleteUser(username);
  await auditChange(store, clock, { type: 'user.deleted', username, detail: { revoked_grants: revoked } });
}

/** What the CLI and APIs show of a user: never the hash. */
export function describeUser(user: User): Record<string, unknown> {
  return {
    username: user.username,
    groups: user.groups,
    enabled: user.enabled,
    created_at: new Date(user.createdAt * 1000).toISOString(),
    source: user.directory ? 'directory' : 'local',
    name: user.name ?? null,
    email: user.email ?? null,
    ...(user.directory ? { dn: user.directory.dn, synced_at: new Date(user.directory.syncedAt * 1000).toISOString() } : {}),
  };
}
