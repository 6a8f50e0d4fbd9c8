import { LRUCache } from 'lru-cache';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { addressGroup } from '../core/client-address.ts';
import { TooManyAttempts } from '../core/errors.ts';
import { hashSecret } from '../core/secrets.ts';
import { canonicalUsername } from '../core/username.ts';
import { changeEach, type Counter, type CounterChange, type Counters } from '../store/counters.ts';

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
  /**
   * One username across addresses: a growing delay after `freeFailures`, and a rate limit —
   * at most `inFlight` attempts at once and `failures` failures per window — that refuses new
   * addresses only. An address (or IPv6 network) where the user logged in within
   * `goodAddressDays` is neither delayed nor refused, so nobody can lock the owner out.
   */
  user: {
    freeFailures: number;
    windowSeconds: number;
    baseDelayMs: number;
    maxDelayMs: number;
    failures: number;
    inFlight: number;
    goodAddressDays: number;
  };
  /** Client-secret guessing, per client and address. */
  clientIp: CounterPolicy;
  /** IPv6 addresses are counted by their network of this many bits (64: one site or line). */
  ipv6Prefix: number;
  /** One-time-password guessing, per user across addresses and mfa_tokens (docs/mfa.md). */
  otp: CounterPolicy;
}

export const DEFAULT_THROTTLE: ThrottleSettings = {
  enabled: true,
  userIp: { failures: 10, windowSeconds: 900, blockSeconds: 300 },
  ip: { failures: 100, windowSeconds: 900, blockSeconds: 900 },
  user: { freeFailures: 10, windowSeconds: 3600, baseDelayMs: 250, maxDelayMs: 5000, failures: 30, inFlight: 4, goodAddressDays: 14 },
  clientIp: { failures: 10, windowSeconds: 900, blockSeconds: 300 },
  ipv6Prefix: 64,
  otp: { failures: 10, windowSeconds: 900, blockSeconds: 900 },
};

export type CounterName = 'user_ip' | 'ip' | 'user' | 'user_in_flight' | 'user_good_address' | 'client_ip' | 'user_otp';

/** Attempts in flight are counted in windows this long, so that one lost by a crashed process is forgotten. */
const IN_FLIGHT_WINDOW_SECONDS = 60;

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
  change: changeEach,
};

/**
 * Why an attempt was refused; goes into the audit record. `user`: the username's failures per
 * window are spent; `user_busy`: too many attempts on the username are in flight.
 */
export type ThrottleReason = 'user_ip' | 'ip' | 'user' | 'user_busy' | 'client_ip' | 'user_otp';

/**
 * What a caller knows about an attempt beyond its username and address. `secondFactor`: the
 * caller has already verified a second factor for this user (the hook for MFA): the attempt passes
 * the per-username rate limit like one from a good address.
 */
export interface AttemptContext {
  secondFactor?: boolean;
}

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
 * Usernames are compared canonically (src/core/username.ts), so `Alice` and `alice` share counters, and a username that does not
 * exist is counted exactly like one that does.
 */
function key(...parts: string[]): string {
  return hashSecret(parts.join('\u0000')).slice(0, 32);
}

/** The client counter's key: unknown client ids (`null`) share one per address. */
function clientKey(clientId: string | null, address: string): string {
  // Looked up on every client-authenticated request: the hash of a pair seen before is remembered.
  const pair = `${clientId ?? '\u0000unknown client'}\u0000${address}`;
  let hashed = clientKeys.get(pair);
  if (hashed === undefined) {
    hashed = key(pair);
    clientKeys.set(pair, hashed);
  }
  return hashed;
}

/** Bounded, so that requests from many addresses or with many client ids cannot grow it. */
const clientKeys = new LRUCache<string, string>({ max: 4096 });

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
  return canonicalUsername(username);
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
  private readonly userInFlight: Counter;
  private readonly userGoodAddress: Counter;
  private readonly clientIp: Counter;
  private readonly otp: Counter;
  /**
   * Told when a block or delay starts (not on every failure: the hot path stays as it was); app.ts
   * records the block in the store. Awaited: the answer to the attempt that starts a block goes
   * out once the block is recorded, so that whoever sees that answer finds the block listed
   * (docs/security.md "Locked accounts"). Must not throw.
   */
  onBlock: ((block: BlockStarted) => Promise<void>) | undefined;

  constructor(
    readonly settings: ThrottleSettings = DEFAULT_THROTTLE,
    private readonly backend: ThrottleBackend = memoryThrottleBackend,
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {
    const counter = (name: CounterName, policy: { failures: number; windowSeconds: number }) =>
      backend.counter(name, { points: policy.failures, durationSeconds: policy.windowSeconds });
    this.userIp = counter('user_ip', settings.userIp);
    this.ip = counter('ip', settings.ip);
    // Never blocks: the points only bound how far the delay can grow.
    this.user = backend.counter('user', { points: 1_000_000, durationSeconds: settings.user.windowSeconds });
    this.userInFlight = backend.counter('user_in_flight', { points: 1_000_000, durationSeconds: IN_FLIGHT_WINDOW_SECONDS });
    this.userGoodAddress = backend.counter('user_good_address', { points: 1, durationSeconds: settings.user.goodAddressDays * 86_400 });
    this.clientIp = counter('client_ip', settings.clientIp);
    this.otp = counter('user_otp', settings.otp);
  }

  /** The address as counted: IPv6 by its network (`ipv6Prefix`). */
  addressKey(ip: string): string {
    return addressGroup(ip, this.settings.ipv6Prefix);
  }

  /**
   * Before a password is verified: refuses a blocked (username, address) or address with
   * `Throttled`; for a username under attack from many addresses, slows attempts down and, once
   * too many are in flight or the window's failures are spent, refuses them — except from an
   * address with a good history for that user (or with a second factor, `context.secondFactor`).
   */
  async beforePassword(username: string, ip: string, context: AttemptContext = {}): Promise<void> {
    if (!this.settings.enabled) return;
    const name = userKey(username);
    const address = this.addressKey(ip);
    // One statement (one round trip to Redis) for the whole check: the failures reserved up front,
    // the attempt counted as in flight, the username's failures read.
    const [pair, byAddress, inFlight, user] = await this.backend.change([
      ...this.reservations(name, address, 1),
      { counter: this.user, key: key(name), op: 'get' },
    ]);
    const refund = () => this.backend.change(this.reservations(name, address, -1));
    const overBudget = (
      [
        ['user_ip', pair, this.settings.userIp],
        ['ip', byAddress, this.settings.ip],
      ] as const
    ).find(([, state, policy]) => state!.consumedPoints > policy.failures);
    if (overBudget) {
      await refund();
      throw new Throttled(overBudget[0], Math.ceil(overBudget[1]!.msBeforeNext / 1000));
    }
    const failures = user?.consumedPoints ?? 0;
    const running = inFlight!.consumedPoints;
    // The cap on attempts in flight holds once failures and running attempts together pass the
    // free ones: a user's own parallel logins (a service account, several devices) are never
    // refused for it, and a burst of guesses is cut off after `freeFailures` started at once.
    const busy = running > this.settings.user.inFlight && failures + running > this.settings.user.freeFailures;
    const spent = failures >= this.settings.user.failures;
    const delay = this.userDelayMs(failures);
    if (!busy && !spent && delay === 0) return;
    // Only a username under attack costs this look-up; unknown usernames are counted alike.
    if (context.secondFactor === true || (await this.isGoodAddress(name, address))) return;
    if (busy || spent) {
      await refund();
      throw spent ? new Throttled('user', Math.max(1, Math.ceil((user?.msBeforeNext ?? 1000) / 1000))) : new Throttled('user_busy', 1);
    }
    await this.sleep(delay);
  }

  /** What an attempt reserves (`points` 1) or hands back (-1): its (username, address) and address failures, and its place in flight. */
  private reservations(name: string, address: string, points: 1 | -1): CounterChange[] {
    return [
      { counter: this.userIp, key: key(name, address), op: 'add', points },
      { counter: this.ip, key: key(address), op: 'add', points },
      { counter: this.userInFlight, key: key(name), op: 'add', points },
    ];
  }

  /** Whether the user logged in from this address (or IPv6 network) within `goodAddressDays`. */
  private async isGoodAddress(name: string, address: string): Promise<boolean> {
    return (await this.userGoodAddress.get(key(name, address))) !== null;
  }

  /** The slowdown for a username with this many recent failures: doubling, capped. */
  userDelayMs(failures: number): number {
    const { freeFailures, baseDelayMs, maxDelayMs } = this.settings.user;
    if (failures < freeFailures) return 0;
    return Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(30, failures - freeFailures));
  }

  /** The attempt was counted when it began; a failure only starts a block if it spent the budget. */
  async passwordFailed(username: string, rawIp: string): Promise<void> {
    if (!this.settings.enabled) return;
    const name = userKey(username);
    const ip = this.addressKey(rawIp);
    const pairKey = key(name, ip);
    const ipKey = key(ip);
    const [pair, byAddress, user] = await this.backend.change([
      { counter: this.userIp, key: pairKey, op: 'get' },
      { counter: this.ip, key: ipKey, op: 'get' },
      { counter: this.user, key: key(name), op: 'add', points: 1 },
      { counter: this.userInFlight, key: key(name), op: 'add', points: -1 },
    ]);
    const pairBlocked = (pair?.consumedPoints ?? 0) >= this.settings.userIp.failures;
    const ipBlocked = (byAddress?.consumedPoints ?? 0) >= this.settings.ip.failures;
    if (pairBlocked || ipBlocked) {
      await this.backend.change([
        ...(pairBlocked ? [{ counter: this.userIp, key: pairKey, op: 'block', seconds: this.settings.userIp.blockSeconds } as const] : []),
        ...(ipBlocked ? [{ counter: this.ip, key: ipKey, op: 'block', seconds: this.settings.ip.blockSeconds } as const] : []),
      ]);
    }
    if (this.onBlock === undefined) return;
    const started: BlockStarted[] = [];
    if (pairBlocked) started.push({ counter: 'user_ip', username: name, ip, seconds: this.settings.userIp.blockSeconds });
    if (ipBlocked) started.push({ counter: 'ip', username: null, ip, seconds: this.settings.ip.blockSeconds });
    // Exactly one failure (on whichever instance) is the one from which the delay starts.
    if (user!.consumedPoints === Math.max(1, this.settings.user.freeFailures)) {
      started.push({ counter: 'user', username: name, ip: null, seconds: Math.max(1, Math.ceil(user!.msBeforeNext / 1000)) });
    }
    const onBlock = this.onBlock;
    await Promise.all(started.map((block) => onBlock(block)));
  }

  /**
   * Clears a username's counters: the delay across addresses and the blocks of each (username,
   * address) pair in `ips` (the recorded blocks: pair keys are hashes and cannot be listed).
   */
  async unlockUser(username: string, ips: Iterable<string>): Promise<void> {
    const name = userKey(username);
    await Promise.all([
      this.user.delete(key(name)),
      this.userInFlight.delete(key(name)),
      ...[...ips].map((ip) => this.userIp.delete(key(name, this.addressKey(ip)))),
    ]);
  }

  /** Clears an address's counter and its (username, address) pairs for the given usernames. */
  async unlockIp(rawIp: string, usernames: Iterable<string>): Promise<void> {
    const ip = this.addressKey(rawIp);
    await Promise.all([this.ip.delete(key(ip)), ...[...usernames].map((username) => this.userIp.delete(key(userKey(username), ip)))]);
  }

  /**
   * A success clears the (username, address) counter and refunds the address's reservation;
   * the address and username counters otherwise keep watching.
   */
  async passwordSucceeded(username: string, rawIp: string): Promise<void> {
    if (!this.settings.enabled) return;
    const name = userKey(username);
    const ip = this.addressKey(rawIp);
    await this.backend.change([
      { counter: this.userIp, key: key(name, ip), op: 'delete' },
      { counter: this.ip, key: key(ip), op: 'add', points: -1 },
      { counter: this.userInFlight, key: key(name), op: 'add', points: -1 },
      // The address earns a good history for this user (renewed by each success).
      { counter: this.userGoodAddress, key: key(name, ip), op: 'block', seconds: this.settings.user.goodAddressDays * 86_400 },
    ]);
  }

  /**
   * The password could not be checked (the user directory did not answer, docs/directory.md): the
   * attempt's reservation is handed back. It was neither a failure nor a success.
   */
  async passwordUnverified(username: string, rawIp: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.backend.change(this.reservations(userKey(username), this.addressKey(rawIp), -1));
  }

  /**
   * Before a client secret is compared. `clientId` is a registered client's id, or `null` for an
   * id that matches no client: those share one counter per address, so that random ids cost no
   * counter each (and a flood of them is blocked like guessing one client's secret).
   */
  async beforeClientSecret(clientId: string | null, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.refuseIfBlocked('client_ip', this.clientIp, this.settings.clientIp, clientKey(clientId, this.addressKey(ip)));
  }

  async clientFailed(clientId: string | null, ip: string): Promise<void> {
    if (!this.settings.enabled) return;
    await this.countFailure(this.clientIp, this.settings.clientIp, clientKey(clientId, this.addressKey(ip)));
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
  private async reserve(name: ThrottleReason, limiter: Counter, policy: CounterPolicy, k: string): Promise<void> {
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

  private async refuseIfBlocked(name: ThrottleReason, limiter: Counter, policy: CounterPolicy, k: string): Promise<void> {
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
