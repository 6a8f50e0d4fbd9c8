import type { Logger } from 'pino';
import type { Clock } from '../core/clock.ts';
import type { Store } from './store.ts';

/**
 * Authorization codes are kept an hour past their expiry, so that a late replay of a spent code
 * still finds the grant it started and revokes it (RFC 6749 §4.1.2).
 */
const CODE_RETENTION_SECONDS = 3600;

export interface PurgeJobOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Milliseconds between runs. */
  intervalMs: number;
  /** Tokens deleted per transaction: bounds how long any one purge holds locks. */
  batchSize: number;
  /** Batches per run at most, so that one run after a long pause cannot hog the database. */
  maxBatchesPerRun?: number;
  /** Told how many tokens each batch deleted (for metrics). */
  onPurged?: (count: number) => void;
  /** Audit retention: records older than `maxAgeSeconds` or beyond the newest `maxRecords` go (`null`: no limit). */
  auditRetention?: { maxAgeSeconds: number | null; maxRecords: number | null };
}

export interface PurgeJob {
  /** One run now: batches until a short one (nothing more to purge) or the per-run cap; returns the count. */
  runOnce(): Promise<number>;
  /** Stops scheduling runs and waits for one in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Continuous purge of expired and revoked tokens, of old authorization codes (docs/deployment.md),
 * and of audit records past their retention (docs/security.md#audit-log), in bounded batches. Safe with many
 * instances: the PostgreSQL store takes its batch with `FOR UPDATE SKIP LOCKED`, so instances that
 * purge at the same moment share the work; SQLite has one writer at a time anyway. The first run
 * is placed at random in the interval so that instances started together do not purge in step.
 */
export function startPurgeJob(options: PurgeJobOptions): PurgeJob {
  const maxBatches = options.maxBatchesPerRun ?? 100;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;
  let stopped = false;

  const purge = async (): Promise<number> => {
    let total = 0;
    for (let batch = 0; batch < maxBatches && !stopped; batch++) {
      const removed = await options.store.purgeExpired(options.clock.nowSeconds(), options.batchSize);
      total += removed;
      if (removed > 0) options.onPurged?.(removed);
      if (removed < options.batchSize) break;
      // Let requests in between batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
    for (let batch = 0; batch < maxBatches && !stopped; batch++) {
      const removed = await options.store.purgeAuthorizationCodes(options.clock.nowSeconds() - CODE_RETENTION_SECONDS, options.batchSize);
      if (removed < options.batchSize) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const retention = options.auditRetention;
    if (retention && (retention.maxAgeSeconds !== null || retention.maxRecords !== null)) {
      const before = retention.maxAgeSeconds === null ? null : options.clock.nowSeconds() - retention.maxAgeSeconds;
      for (let batch = 0; batch < maxBatches && !stopped; batch++) {
        const removed = await options.store.pruneAudit({ before, keep: retention.maxRecords }, options.batchSize);
        if (removed < options.batchSize) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return total;
  };

  const runOnce = (): Promise<number> => {
    running ??= purge().finally(() => {
      running = undefined;
    });
    return running;
  };

  const schedule = (delay: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      runOnce().then(
        (removed) => {
          if (removed > 0) options.logger.info({ removed }, 'purged expired and revoked tokens');
        },
        // A failed run (database briefly away) is retried at the next interval.
        (error: unknown) => options.logger.warn({ err: error }, 'token purge failed'),
      ).finally(() => schedule(options.intervalMs));
    }, delay);
    // The job never keeps the process alive on its own.
    timer.unref();
  };
  schedule(Math.floor(Math.random() * options.intervalMs));

  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running?.catch(() => {});
    },
  };
}
