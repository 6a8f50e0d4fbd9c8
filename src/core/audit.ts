/**
 * Security events (docs/security.md): what happened, to whom, from where — never a password, secret or
 * token. Family ids and client ids are identifiers, not credentials, and may appear.
 */
/** Every event type, for pickers and checks; the type below is read from it. */
export const AUDIT_EVENT_TYPES = [
  'token.issued',
  'token.revoked',
  'login.failed',
  'login.throttled',
  'login.unavailable',
  'client_auth.failed',
  'client_auth.throttled',
  'refresh.reuse_detected',
  'login.succeeded',
  'session.ended',
  'consent.granted',
  'consent.withdrawn',
  'code.issued',
  'code.replayed',
  'password.upgraded',
  'user.created',
  'user.password_changed',
  'user.enabled',
  'user.disabled',
  'user.groups_changed',
  'user.profile_changed',
  'user.deleted',
  'client.created',
  'client.updated',
  'client.enabled',
  'client.disabled',
  'client.secret_rotated',
  'client.deleted',
  'service.saved',
  'service.deleted',
  'acl.set',
  'acl.deleted',
  'scope.saved',
  'scope.deleted',
  'group.created',
  'group.deleted',
  'settings.changed',
  'signing_key.rotated',
  'throttle.unlocked',
  'flood.summarised',
  'mfa.required',
  'mfa.succeeded',
  'mfa.failed',
  'mfa.throttled',
  'mfa.enrolled',
  'mfa.reset',
] as const;

export type AuditEventType = (typeof AUDIT_EVENT_TYPES)[number];

export interface AuditEvent {
  /** Seconds since the epoch. */
  at: number;
  type: AuditEventType;
  /** Client address, when the event came from a request. */
  ip?: string | null;
  clientId?: string | null;
  username?: string | null;
  /** A fixed reason code, e.g. `wrong_password`, `unknown_user`, `user_ip`. */
  reason?: string | null;
  /** Small, non-secret facts: grant type, family id, changed fields. */
  detail?: Record<string, string | number | boolean | null>;
  /** Who made an operator change; absent for request events and the server's own changes. */
  actor?: AuditActor | null;
}

/**
 * An administrator, as an audit record names them: the username for the admin API (a console
 * session or a bearer token), `user@host` of the operating system for the CLI.
 */
export interface AuditActor {
  name: string;
  via: 'admin_session' | 'admin_token' | 'cli';
}

export interface AuditRecord extends AuditEvent {
  id: number;
}

/**
 * Reason codes of a failed password login; recorded in the audit log, never shown to the client.
 * `name_conflict`: the directory accepted the password of a user whose name a local user has
 * (docs/directory.md); the login is refused.
 */
export type LoginFailure = 'unknown_user' | 'disabled_user' | 'wrong_password' | 'name_conflict';

/** Reason codes of a failed client authentication. */
export type ClientAuthFailure = 'unknown_client' | 'disabled_client' | 'wrong_secret' | 'missing_secret' | 'unexpected_secret';
