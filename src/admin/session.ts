import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.ts';
import type { AdminSession } from '../core/model.ts';
import { constantTimeEqual, generateSecret, hashSecret } from '../core/secrets.ts';
import type { SessionStore } from '../store/store.ts';

/** How long an admin console session lives: `idleSeconds` after its last use, and never past `absoluteSeconds`. */
export interface SessionPolicy {
  idleSeconds: number;
  absoluteSeconds: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = { idleSeconds: 30 * 60, absoluteSeconds: 8 * 3600 };

/** A session's last use is written at most this often, so that a busy console does not write on every request. */
const TOUCH_INTERVAL_SECONDS = 60;

export interface StartedSession {
  /** The cookie value: 256 random bits, never stored. */
  sessionId: string;
  csrfToken: string;
  expiresAt: number;
}

/**
 * The CSRF token of a session (synchronizer-token pattern, derived rather than stored): a SHA-256
 * of the session id under its own label. Only someone who holds the session id can compute it, the
 * stored `idHash` does not reveal it, and any instance can check it without shared state.
 */
export function csrfTokenFor(sessionId: string): string {
  return createHash('sha256').update(`portcullis admin csrf\0${sessionId}`, 'utf8').digest('base64url');
}

export function csrfTokenMatches(sessionId: string, presented: string | undefined): boolean {
  return presented !== undefined && constantTimeEqual(csrfTokenFor(sessionId), presented);
}

/** Starts a session for an administrator who has just proved their password; stores only the id's hash. */
export async function startSession(store: SessionStore, clock: Clock, username: string, policy: SessionPolicy): Promise<StartedSession> {
  const now = clock.nowSeconds();
  // Expired sessions are removed here, at sign-in, rather than by a timer every instance would run.
  await store.purgeAdminSessions(now, now - policy.idleSeconds);
  const sessionId = generateSecret();
  const expiresAt = now + policy.absoluteSeconds;
  await store.createAdminSession({ idHash: hashSecret(sessionId), username, createdAt: now, lastSeenAt: now, expiresAt });
  return { sessionId, csrfToken: csrfTokenFor(sessionId), expiresAt };
}

/** When a live session will end if left idle: the sooner of the idle and the absolute limit. */
export function sessionEndsAt(session: AdminSession, policy: SessionPolicy): number {
  return Math.min(session.expiresAt, session.lastSeenAt + policy.idleSeconds);
}

/**
 * Finds the live session for a cookie value and records its use (sliding idle expiry).
 * An expired session is deleted and reported as absent.
 */
export async function resumeSession(
  store: SessionStore,
  clock: Clock,
  sessionId: string,
  policy: SessionPolicy,
): Promise<AdminSession | undefined> {
  const idHash = hashSecret(sessionId);
  const session = await store.findAdminSession(idHash);
  if (!session) return undefined;
  const now = clock.nowSeconds();
  if (now >= sessionEndsAt(session, policy)) {
    await store.deleteAdminSession(idHash);
    return undefined;
  }
  if (now - session.lastSeenAt >= TOUCH_INTERVAL_SECONDS) {
    await store.touchAdminSession(idHash, now);
    return { ...session, lastSeenAt: now };
  }
  return session;
}

export async function endSession(store: SessionStore, sessionId: string): Promise<void> {
  await store.deleteAdminSession(hashSecret(sessionId));
}
