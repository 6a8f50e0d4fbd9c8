import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { LoginSession, Settings } from '../core/model.ts';
import { constantTimeEqual, generateSecret, hashSecret } from '../core/secrets.ts';
import type { AccountStore, LoginSessionStore } from '../store/store.ts';

/** A session's last use is written at most this often, so that a busy user does not write on every request. */
const TOUCH_INTERVAL_SECONDS = 60;

/** The session limits that the settings hold (docs/oauth.md "Login sessions"). */
export type LoginSessionPolicy = Pick<Settings, 'loginSessionIdleTtl' | 'loginSessionMaxTtl'>;

export interface StartedLoginSession {
  /** The cookie value: 256 random bits, never stored. */
  sessionId: string;
  session: LoginSession;
}

/** When a live session ends if left idle: the sooner of the idle and the absolute limit. */
export function loginSessionEndsAt(session: LoginSession, policy: LoginSessionPolicy): number {
  return Math.min(session.expiresAt, session.lastSeenAt + policy.loginSessionIdleTtl);
}

/**
 * Starts a login session for a user who has just signed in, in place of `replacing` (the session
 * the browser had, if any): a new id at every sign-in, so that an id planted in the browser before
 * the sign-in is worth nothing after it (session fixation). Only the id's hash is stored.
 */
export async function startLoginSession(
  store: LoginSessionStore,
  clock: Clock,
  policy: LoginSessionPolicy,
  signIn: { username: string; amr: string[]; ip: string | null; replacing: string | undefined },
): Promise<StartedLoginSession> {
  const now = clock.nowSeconds();
  if (signIn.replacing !== undefined) await store.deleteLoginSession(hashSecret(signIn.replacing));
  // Expired sessions are removed here, at sign-in, rather than by a timer every instance would run.
  await store.purgeLoginSessions(now, now - policy.loginSessionIdleTtl);
  const sessionId = generateSecret();
  const session: LoginSession = {
    idHash: hashSecret(sessionId),
    username: signIn.username,
    authTime: now,
    amr: signIn.amr,
    lastSeenAt: now,
    expiresAt: now + policy.loginSessionMaxTtl,
    ip: signIn.ip,
  };
  await store.createLoginSession(session);
  return { sessionId, session };
}

/**
 * The live session for a cookie value, its use recorded (sliding idle expiry). A session that has
 * expired, or whose user is disabled or gone, is deleted and reported as absent.
 */
export async function resumeLoginSession(
  store: LoginSessionStore & Pick<AccountStore, 'findUser'>,
  clock: Clock,
  policy: LoginSessionPolicy,
  sessionId: string,
): Promise<LoginSession | undefined> {
  const idHash = hashSecret(sessionId);
  const session = await store.findLoginSession(idHash);
  if (!session) return undefined;
  const now = clock.nowSeconds();
  const user = now < loginSessionEndsAt(session, policy) ? await store.findUser(session.username) : undefined;
  if (!user?.enabled) {
    await store.deleteLoginSession(idHash);
    return undefined;
  }
  if (now - session.lastSeenAt >= TOUCH_INTERVAL_SECONDS) {
    await store.touchLoginSession(idHash, now);
    return { ...session, lastSeenAt: now };
  }
  return session;
}

/** The forms of the sign-in pages, each with its own CSRF token (docs/oauth.md "CSRF protection"). */
export type FormPurpose = 'sign-in' | 'consent' | 'sign-out';

/**
 * A CSRF token (synchronizer-token pattern, derived rather than stored): a SHA-256 of a cookie value
 * under the form's label. The sign-in form's is derived from the browser's CSRF cookie (the user has
 * no session yet); the approval and sign-out forms' from the login session's id, which also ties an
 * approval to the session whose user the page named. Only the holder of the cookie can compute it,
 * and any instance can check it without shared state.
 */
export function formToken(purpose: FormPurpose, cookieValue: string): string {
  return createHash('sha256').update(`portcullis ${purpose} csrf\0${cookieValue}`, 'utf8').digest('base64url');
}

export function formTokenMatches(purpose: FormPurpose, cookieValue: string | undefined, presented: string | undefined): boolean {
  return cookieValue !== undefined && presented !== undefined && constantTimeEqual(formToken(purpose, cookieValue), presented);
}
