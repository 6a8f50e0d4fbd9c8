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

  constructor(
    private readonly store: SettingsStore,
    private readonly clock: Clock,
    private readonly maxAgeSeconds = 5,
  ) {}

  async get(): Promise<Settings> {
    const now = this.clock.nowSeconds();
    if (!this.cached || now - this.loadedAt >= this.maxAgeSeconds) {
      this.cached = await this.store.getSettings();
      this.loadedAt = now;
    }
    return this.cached;
  }

  invalidate(): void {
    this.cached = undefined;
  }
}
