import { createHash } from 'node:crypto';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { TooManyAttempts } from '../core/errors.ts';
import type { Counter, Counters } from '../store/counters.ts';

/** A failure counter: so many failures within a window, then a block. */
export interface CounterPolicy {
  failures: number;
  windowSeconds: number;
  blockSeconds: number;
}

/** Brute-force defence settings (docs/security.md); every number has a default in `DEFAULT_THROTTLE`. */
export interface ThrottleSettings {
  /** Off only when explicitly switched off. */
  enabled: boolean;
  /** One username from one address: a short block. */
  userIp: CounterPolicy;
  /** One address across usernames (credential stuffing): a budget of failures per window. */
  ip: CounterPolicy;
  /** One username across addresses: a growing delay, never a block, so nobody can lock a user out. */
  user: { freeFailures: number; windowSeconds: number; baseDelayMs: number; maxDelayMs: number };
  /** Client-secret guessing, per client and address. */
  clientIp: CounterPolicy;
  /** One-time-password guessing, per user across addresses and mfa_tokens (docs/mfa.md). */
  otp: CounterPolicy;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  enabled: true,
  userIp: { failures: 10, windowSeconds: 900, blockSeconds: 300 },
  ip: { failures: 100, windowSeconds: 900, blockSeconds: 900 },
  user: { freeFailures: 10, windowSeconds: 3600, baseDelayMs: 250, maxDelayMs: 5000 },
  clientIp: { failures: 10, windowSeconds: 900, blockSeconds: 300 },
  otp: { failures: 10, windowSeconds: 900, blockSeconds: 900 },
};

export type CounterName = 'user_ip' | 'ip' | 'user' | 'client_ip' | 'user_otp';

/**
 * Where the counters live: the store's database or Redis, shared by every instance
 * (throttle-backends.ts, docs/deployment.md), or memory.
 */
export type ThrottleBackend = Counters;

/**
 * Counters in this process's memory: for unit tests and stores without a backend of their own.
 * The server uses the store's database or Redis (throttle-backends.ts); counters here start from
 * zero after a restart and no other process can unlock them.
 */
export const memoryThrottleBackend: ThrottleBackend = {
  kind: 'memory',
  counter: (name, options) =>
    new RateLimiterMemory({ keyPrefix: `portcullis:${name}`, points: options.points, duration: options.durationSeconds }),
};

/** Why an attempt was refused; goes into the audit record. */
export type ThrottleReason = CounterName;

export class Throttled extends TooManyAttempts {
  constructor(
    readonly reason: ThrottleReason,
    retryAfterSeconds: number,
  ) {
    super(undefined, { retryAfterSeconds });
  }
}

/**
 * Keys are hashed: they are short whatever was sent, and the counter store holds no usernames.
 * Usernames are lower-cased, so `Alice` and `alice` share counters, and a username that does not
 * exist is counted exactly like one that does.
 */
function key(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000'), 'utf8').digest('base64url').slice(0, 32);
}

/** A block or delay as it starts: reported to `LoginThrottle.onBlock` (which records it in the store). */
export interface BlockStarted {
  counter: 'user_ip' | 'ip' | 'user';
  /** Lower-cased as counted; `null` for an address block. */
  username: string | null;
  ip: string | null;
  seconds: number;
}

/** The form in which the throttle counts a username (and records it in a block). */
export function throttleUsername(username: string): string {
  return userKey(username);
}

function userKey(username: string): string {
  return username.normalize('NFC').toLowerCase();
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Brute-force defence for the password grant and client authentication (RFC 6749 §4.3.2, docs/security.md).
 * Only failures count; a refused attempt is not a failure (it never reached a hash).
 * Does NOT decide which address is the client's: that is the HTTP layer's job (trusted proxies).
 *
 * A password attempt is counted as a failure *before* its hash runs and refunded if it succeeds,
 * so that a burst of parallel guesses cannot all pass the check before the first failure lands:
 * every `beforePassword` must be followed by `passwordFailed` or `passwordSucceeded`.
 */
export class LoginThrottle {
  private readonly userIp: Counter;
  private readonly ip: Counter;
  private readonly user: Counter;
  private readonly clientIp: Counter;
  private readonly otp: Counter;
  /**
   * Told when a block or delay starts (not on every failure: the hot path stays as it was).
   * Must not throw or wait; app.ts records the block in the store, in the background.
   */
  onBlock: ((block: BlockStarted) => void) | undefined;

  constructor(
    readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
    backend: ThrottleBackend = memoryThrottleBackend,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {
    const counter = (name: CounterName, policy: { failures: number; windowSeconds: number }) =>
      backend.counter(name, { points: policy.failures, durationSeconds: policy.windowSeconds });
    this.userIp = counter('user_ip', settings.userIp);
    this.ip = counter('ip', settings.ip);
    // Never blocks: the points only bound how far the delay can grow.
    this.user = backend.counter('user', { points: 1_000_000, durationSeconds: settings.user.windowSeconds });
    this.clientIp = counter('client_ip', settings.clientIp);
    this.otp = counter('user_otp', settings.otp);
  }

  /**
   * Before a password is verified: refuses a blocked (username, address) or address with
   * `Throttled`, and slows down a username under attack from many addresses.
   */
  async beforePassword(username: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    const name = userKey(username);
    const pairKey = key(name, ip);
    const ipKey = key(ip);
    // One round trip to a shared backend instead of three: the reservations run side by side,
    // and the one that went through is handed back when the other was refused.
    const [pair, address, user] = await Promise.allSettled([
      this.reserve('user_ip', this.userIp, this.settings.userIp, pairKey),
      this.reserve('ip', this.ip, this.settings.ip, ipKey),
      this.user.get(key(name)),
    ]);
    if (pair.status === 'rejected' || address.status === 'rejected') {
      if (pair.status === 'fulfilled') await this.userIp.reward(pairKey);
      if (address.status === 'fulfilled') await this.ip.reward(ipKey);
      throw pair.status === 'rejected' ? pair.reason : (address as PromiseRejectedResult).reason;
    }
    if (user.status === 'rejected') {
      await Promise.all([this.userIp.reward(pairKey), this.ip.reward(ipKey)]);
      throw user.reason;
    }
    const delay = this.userDelayMs(user.value?.consumedPoints ?? 0);
    if (delay > 0) await this.sleep(delay);
  }

  /** The slowdown for a username with this many recent failures: doubling, capped. */
  userDelayMs(failures: number): number {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.settings.user;
    if (failures < freeFailures) return 0;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(30, failures - freeFailures));
  }

  /** The attempt was counted when it began; a failure only starts a block if it spent the budget. */
  async passwordFailed(username: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    const name = userKey(username);
    const [pairBlocked, ipBlocked, user] = await Promise.all([
      this.blockIfSpent(this.userIp, this.settings.userIp, key(name, ip)),
      this.blockIfSpent(this.ip, this.settings.ip, key(ip)),
      this.user.penalty(key(name)),
    ]);
    if (this.onBlock === undefined) return;
    if (pairBlocked) this.onBlock({ counter: 'user_ip', username: name, ip, seconds: this.settings.userIp.blockSeconds });
    if (ipBlocked) this.onBlock({ counter: 'ip', username: null, ip, seconds: this.settings.ip.blockSeconds });
    // Exactly one failure (on whichever instance) is the one from which the delay starts.
    if (user.consumedPoints === Math.max(1, this.settings.user.freeFailures)) {
      this.onBlock({ counter: 'user', username: name, ip: null, seconds: Math.max(1, Math.ceil(user.msBeforeNext / 1000)) });
    }
  }

  /**
   * Clears a username's counters: the delay across addresses and the blocks of each (username,
   * address) pair in `ips` (the recorded blocks: pair keys are hashes and cannot be listed).
   */
  async unlockUser(username: string, ips: Iterable<string>): Promise<void> {
    const name = userKey(username);
    await Promise.all([this.user.delete(key(name)), ...[...ips].map((ip) => this.userIp.delete(key(name, ip)))]);
  }

  /** Clears an address's counter and its (username, address) pairs for the given usernames. */
  async unlockIp(ip: string, usernames: Iterable<string>): Promise<void> {
    await Promise.all([this.ip.delete(key(ip)), ...[...usernames].map((username) => this.userIp.delete(key(userKey(username), ip)))]);
  }

  /**
   * A success clears the (username, address) counter and refunds the address's reservation;
   * the address and username counters otherwise keep watching.
   */
  async passwordSucceeded(username: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    await Promise.all([this.userIp.delete(key(userKey(username), ip)), this.ip.reward(key(ip))]);
  }

  /**
   * The password could not be checked (the user directory did not answer, docs/directory.md): the
   * attempt's reservation is handed back. It was neither a failure nor a success.
   */
  async passwordUnverified(username: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    await Promise.all([this.userIp.reward(key(userKey(username), ip)), this.ip.reward(key(ip))]);
  }

  /** Before a client secret is compared. */
  async beforeClientSecret(clientId: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.refuseIfBlocked('client_ip', this.clientIp, this.settings.clientIp, key(clientId, ip));
  }

  async clientFailed(clientId: string, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.countFailure(this.clientIp, this.settings.clientIp, key(clientId, ip));
  }

  /**
   * Before a one-time password or recovery code is checked: counted up front, like a password, so
   * that parallel guesses cannot all pass; refused with `Throttled` once the user's budget is spent.
   * Every call must be followed by `secondFactorFailed` or `secondFactorSucceeded`.
   */
  async beforeSecondFactor(username: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.reserve('user_otp', this.otp, this.settings.otp, key('otp', userKey(username)));
  }

  async secondFactorFailed(username: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.blockIfSpent(this.otp, this.settings.otp, key('otp', userKey(username)));
  }

  /** The guess was refused before its code was checked: its count is handed back. */
  async secondFactorUnchecked(username: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.otp.reward(key('otp', userKey(username)));
  }

  /** A right code clears the user's count: the owner is not held back by an attacker's guesses once through. */
  async secondFactorSucceeded(username: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.otp.delete(key('otp', userKey(username)));
  }

  /** Counts an attempt up front; one over the budget is refused, and its count taken back. */
  private async reserve(name: CounterName, limiter: Counter, policy: CounterPolicy, k: string): Promise<void> {
    const state = await limiter.penalty(k);
    if (state.consumedPoints > policy.failures) {
      await limiter.reward(k);
      throw new Throttled(name, Math.ceil(state.msBeforeNext / 1000));
    }
  }

  /** Returns whether this failure started a block. */
  private async blockIfSpent(limiter: Counter, policy: CounterPolicy, k: string): Promise<boolean> {
    const state = await limiter.get(k);
    if (!state || state.consumedPoints < policy.failures) return false;
    await limiter.block(k, policy.blockSeconds);
    return true;
  }

  private async refuseIfBlocked(name: CounterName, limiter: Counter, policy: CounterPolicy, k: string): Promise<void> {
    const state = await limiter.get(k);
    if (state && state.consumedPoints >= policy.failures) {
      throw new Throttled(name, Math.ceil(state.msBeforeNext / 1000));
    }
  }

  /** Counts one failure; the one that spends the budget starts the block. */
  private async countFailure(limiter: Counter, policy: CounterPolicy, k: string): Promise<void> {
    const state = await limiter.penalty(k);
    if (state.consumedPoints >= policy.failures) await limiter.block(k, policy.blockSeconds);
  }
}
