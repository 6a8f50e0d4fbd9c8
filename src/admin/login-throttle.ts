/** One admin sign-in attempt, as a throttle sees it. Never carries the password. */
export interface LoginAttempt {
  username: string;
  ip: string;
}

/**
 * The throttling step of admin sign-in (SPEC §4: the same throttling as the token endpoint).
 * `check` runs before any password is verified and throws (an `OAuthError` 429 with
 * `Retry-After`) when the attempt must wait; the outcome is reported afterwards.
 */
export interface LoginThrottle {
  check(attempt: LoginAttempt): Promise<void>;
  recordFailure(attempt: LoginAttempt): Promise<void>;
  recordSuccess(attempt: LoginAttempt): Promise<void>;
}

/** Until the shared throttle (src/authz/throttle.ts) is wired in, sign-in is not throttled. */
export const noLoginThrottle: LoginThrottle = {
  async check() {},
  async recordFailure() {},
  async recordSuccess() {},
};
