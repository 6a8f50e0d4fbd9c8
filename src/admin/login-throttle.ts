import type { AuthzContext } from '../authz/context.ts';
import { unmatchedName } from '../authz/audit-log.ts';
import { Throttled } from '../authz/throttle.ts';

/** One admin sign-in attempt, as a throttle sees it. Never carries the password. */
export interface LoginAttempt {
  username: string;
  ip: string;
}

/**
 * The throttling step of admin sign-in (docs/security.md: the same throttling as the token endpoint).
 * `check` runs before any password is verified and throws (an `OAuthError` 429 with
 * `Retry-After`) when the attempt must wait; the outcome is reported afterwards.
 */
export interface LoginThrottle {
  check(attempt: LoginAttempt): Promise<void>;
  recordFailure(attempt: LoginAttempt): Promise<void>;
  recordSuccess(attempt: LoginAttempt): Promise<void>;
  /** The password could not be checked (the directory did not answer): neither a failure nor a success. */
  recordUnverified(attempt: LoginAttempt): Promise<void>;
}

/** No throttling at all; only for tests that need it off. */
export const noLoginThrottle: LoginThrottle = {
  async check() {},
  async recordFailure() {},
  async recordSuccess() {},
  async recordUnverified() {},
};

/**
 * Admin sign-in on the token endpoint's own throttle (`ctx.throttle`): the same counters and
 * policy (per username+address block, per address budget, per username delay), so that guessing
 * an administrator's password through the console is no cheaper than through /oauth/token, and
 * failures in one count against the other. A refused attempt is audited as `login.throttled`
 * with `detail.via = "admin"`.
 */
export function sharedLoginThrottle(ctx: AuthzContext): LoginThrottle {
  return {
    async check(attempt) {
      try {
        await ctx.throttle.beforePassword(attempt.username, attempt.ip);
      } catch (error) {
        if (error instanceof Throttled) {
          const known = await ctx.store.findUser(attempt.username);
          ctx.audit.record({
            at: ctx.clock.nowSeconds(),
            type: 'login.throttled',
            ip: attempt.ip,
            username: known ? known.username : unmatchedName(attempt.username),
            reason: error.reason,
            detail: { via: 'admin' },
          });
        }
        throw error;
      }
    },
    recordFailure: (attempt) => ctx.throttle.passwordFailed(attempt.username, attempt.ip),
    recordSuccess: (attempt) => ctx.throttle.passwordSucceeded(attempt.username, attempt.ip),
    recordUnverified: (attempt) => ctx.throttle.passwordUnverified(attempt.username, attempt.ip),
  };
}
