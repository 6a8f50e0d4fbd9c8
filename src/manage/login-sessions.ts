import type { Clock } from '../core/clock.ts';
import { UserError } from '../core/errors.ts';
import type { LoginSession, Settings } from '../core/model.ts';
import { loginSessionEndsAt } from '../authz/login-session.ts';
import type { Store } from '../store/store.ts';
import { auditChange } from './audit.ts';
import { requireUser } from './users.ts';

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

/** What the APIs show of a login session: its id is the SHA-256 of the cookie, which identifies it without revealing it. */
export function describeLoginSession(session: LoginSession, settings: Settings): Record<string, unknown> {
  return {
    id: session.idHash,
    username: session.username,
    signed_in_at: iso(session.authTime),
    last_seen_at: iso(session.lastSeenAt),
    expires_at: iso(loginSessionEndsAt(session, settings)),
    ip: session.ip,
    amr: session.amr,
  };
}

/** A user's live login sessions (docs/admin.md "Sign-in sessions and consents"), newest sign-in first. */
export async function listUserLoginSessions(store: Store, clock: Clock, typed: string): Promise<Record<string, unknown>[]> {
  const { username } = await requireUser(store, typed);
  const settings = await store.getSettings();
  const now = clock.nowSeconds();
  return (await store.listLoginSessions(username))
    .filter((session) => now < loginSessionEndsAt(session, settings))
    .map((session) => describeLoginSession(session, settings));
}

/**
 * Ends one login session of a user (by its id), or all of them: the browser must sign in again at
 * its next authorization request. Tokens already issued are not touched. Returns how many ended.
 */
export async function endUserLoginSessions(store: Store, clock: Clock, username: string, id?: string): Promise<number> {
  await requireUser(store, username);
  let ended: number;
  if (id === undefined) {
    ended = await store.deleteLoginSessionsOf(username);
  } else {
    const session = await store.findLoginSession(id);
    if (session?.username !== username) throw new UserError(`no login session ${id} of ${username}`, 'not_found');
    ended = (await store.deleteLoginSession(id)) ? 1 : 0;
  }
  if (ended > 0) await auditChange(store, clock, { type: 'session.ended', username, reason: 'admin', detail: { sessions: ended } });
  return ended;
}
