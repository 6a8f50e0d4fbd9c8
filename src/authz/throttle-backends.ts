import { connectRedisCounters } from '../store/redis-counters.ts';
import type { Store } from '../store/store.ts';
import type { ThrottleBackend } from './throttle.ts';

/**
 * Where the brute-force counters live (docs/security.md, "Where the counters live"): Redis when
 * `redis_url` is set, shared by every instance using that Redis; else the store's own database
 * (the SQLite file, so that counters survive a restart and `portcullis user unlock` reaches the
 * running server's counters; or PostgreSQL, shared by every instance of the cluster). Call after
 * the store's migrations (the counter table comes with migration 0006). `sweep`: whether this
 * process deletes expired counters (one per host does; see app.ts `runsBackgroundJobs`).
 */
export async function openThrottleBackend(
  config: { redis?: { url: string; keyPrefix: string } | undefined },
  store: Store,
  options: { sweep: boolean } = { sweep: true },
): Promise<ThrottleBackend> {
  if (config.redis !== undefined) return connectRedisCounters(config.redis.url, config.redis.keyPrefix);
  return store.throttleCounters(options);
}
