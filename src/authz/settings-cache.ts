import type { Clock } from '../core/clock.ts';
import type { Settings } from '../core/model.ts';
import type { SettingsStore } from '../store/store.ts';

/**
 * Global settings, read from the store at most once per `maxAgeSeconds`, so that a change made by
 * the CLI, the admin API or another instance takes effect within that bound without a query per request.
 */
export class SettingsCache {
  private cached: Settings | undefined;
  private loadedAt = -Infinity;
  /**
   * The read in flight: the requests that find the settings stale while it runs wait for it, so
   * that each expiry costs one query, not one per request in flight.
   */
  private loading: Promise<Settings> | undefined;
  /** Counts invalidations: a read that began before one must not be remembered. */
  private generation = 0;

  constructor(
    private readonly store: SettingsStore,
    private readonly clock: Clock,
    private readonly maxAgeSeconds = 5,
  ) {}

  get(): Promise<Settings> {
    const now = this.clock.nowSeconds();
    if (this.cached && now - this.loadedAt < this.maxAgeSeconds) return Promise.resolve(this.cached);
    return (this.loading ??= this.load(now));
  }

  invalidate(): void {
    this.generation++;
    this.cached = undefined;
    // A read that began before the change may return the old settings: the next get() reads again.
    this.loading = undefined;
  }

  private async load(now: number): Promise<Settings> {
    const generation = this.generation;
    try {
      const settings = await this.store.getSettings();
      if (generation === this.generation) {
        this.cached = settings;
        this.loadedAt = now;
      }
      return settings;
    } finally {
      if (generation === this.generation) this.loading = undefined;
    }
  }
}
