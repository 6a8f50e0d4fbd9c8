import type { VerifierUnavailableError } from './token-verifier.ts';

/** Where verifier failures are logged: anything with `warn` and `error`, such as `console` or pino; `info` when present. */
export interface VerifierLogger {
  warn(message: string): void;
  error(message: string): void;
  info?(message: string): void;
}

/**
 * Reports a token source's failures: every one to the `onError` hook, and one line per burst
 * to the logger (a burst ends at the next success, which is logged as a recovery), so that an
 * outage answered `503` a thousand times a second is seen, once, rather than flooding the log.
 * A new kind of failure within a burst is logged too.
 */
export class FailureReport {
  private burst: { message: string; count: number } | undefined;

  constructor(
    private readonly onError: ((error: VerifierUnavailableError) => void) | undefined,
    private readonly logger: VerifierLogger | undefined,
  ) {}

  /** `error` for a failure that will not heal by itself (a configuration mistake), `warn` for an outage. */
  failed(error: VerifierUnavailableError, level: 'warn' | 'error'): void {
    try {
      this.onError?.(error);
    } catch {
      // A failing report must not turn the caller's 503 into a 500.
    }
    if (this.burst?.message === error.message) {
      this.burst.count++;
      return;
    }
    this.burst = { message: error.message, count: (this.burst?.count ?? 0) + 1 };
    this.logger?.[level](`portcullis: token verification failing, requests get 503: ${error.message}`);
  }

  succeeded(): void {
    if (!this.burst) return;
    const { count } = this.burst;
    this.burst = undefined;
    this.logger?.info?.(`portcullis: token verification recovered after ${count} failed ${count === 1 ? 'call' : 'calls'}`);
  }
}
