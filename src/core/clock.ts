/** The time source. Injected everywhere so tests can move time instead of sleeping. */
export interface Clock {
  /** Seconds since the epoch, as an integer. */
  nowSeconds(): number;
}

export const systemClock: Clock = {
  nowSeconds: () => Math.floor(Date.now() / 1000),
};

/** A clock that only moves when told to; for tests. */
export class ManualClock implements Clock {
  constructor(private seconds = 1_700_000_000) {}
  nowSeconds(): number {
    return this.seconds;
  }
  advance(seconds: number): void {
    this.seconds += seconds;
  }
}
