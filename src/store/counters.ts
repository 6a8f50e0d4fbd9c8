/** A counter's state after a change: points counted in its window, and milliseconds until the window ends (-1: never). */
export interface CounterState {
  consumedPoints: number;
  msBeforeNext: number;
}

/**
 * One failure counter per key within a window of time, with rate-limiter-flexible's semantics
 * (the memory and Redis counters are its limiters): the first point of a key starts its window,
 * an expired key reads as absent and counts from zero again, and `block` sets the points to the
 * budget plus one with a window of its own.
 */
export interface Counter {
  /** The key's state, or `null` when it has no points in a running window. */
  get(key: string): Promise<CounterState | null>;
  /** Adds points (1 by default); never refuses. */
  penalty(key: string, points?: number): Promise<CounterState>;
  /** Takes points back (1 by default). */
  reward(key: string, points?: number): Promise<CounterState>;
  /** Sets the key past its budget for `seconds`. */
  block(key: string, seconds: number): Promise<CounterState>;
  /** Forgets the key; resolves with whether it had a row. */
  delete(key: string): Promise<boolean>;
}

/** Where counters live (a database, Redis, memory); each named counter has its own keys. */
export interface Counters {
  counter(name: string, options: { points: number; durationSeconds: number }): Counter;
  /** Which backend this is (`memory`, `sqlite`, `postgres`, `redis`), for logs and docs. */
  readonly kind?: string;
  /** Releases connections and timers; the store the counters share is closed separately. */
  close?(): Promise<void>;
}
