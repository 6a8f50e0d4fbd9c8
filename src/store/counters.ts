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

/**
 * One change of `Counters.change`, to a key of a counter of the same backend: `add` (a penalty, or
 * a reward when negative), `get`, `block` (as `Counter.block`) or `delete`.
 */
export type CounterChange = { counter: Counter; key: string } & (
  | { op: 'add'; points: number }
  | { op: 'get' }
  | { op: 'block'; seconds: number }
  | { op: 'delete' }
);

/** Where counters live (a database, Redis, memory); each named counter has its own keys. */
export interface Counters {
  counter(name: string, options: { points: number; durationSeconds: number }): Counter;
  /**
   * Several changes at once, as each would be alone (one statement on a database, one round trip
   * to Redis), each change atomic; resolves with the state of each key after its change, in order
   * (`null` for a `delete`, and for a `get` of a key with no points in a running window). The
   * keys must differ (the same key of the same counter at most once).
   */
  change(changes: readonly CounterChange[]): Promise<(CounterState | null)[]>;
  /** Which backend this is (`memory`, `sqlite`, `postgres`, `redis`), for logs and docs. */
  readonly kind?: string;
  /** Releases connections and timers; the store the counters share is closed separately. */
  close?(): Promise<void>;
}

/** `Counters.change` one counter method at a time: for counters in memory, where a change costs no round trip. */
export function changeEach(changes: readonly CounterChange[]): Promise<(CounterState | null)[]> {
  return Promise.all(
    changes.map(async (change): Promise<CounterState | null> => {
      const { counter, key } = change;
      switch (change.op) {
        case 'add':
          return change.points >= 0 ? counter.penalty(key, change.points) : counter.reward(key, -change.points);
        case 'get':
          return counter.get(key);
        case 'block':
          return counter.block(key, change.seconds);
        case 'delete':
          await counter.delete(key);
          return null;
      }
    }),
  );
}
