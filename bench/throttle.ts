/**
 * What the brute-force counters cost per password attempt on each backend (docs/security.md):
 * `npm run bench:throttle` (PostgreSQL at PORTCULLIS_TEST_PG, Redis at PORTCULLIS_TEST_REDIS, when reachable).
 * Sequential attempts, so the figure is latency added to one request, not throughput.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LoginThrottle, memoryThrottleBackend, type ThrottleBackend, type ThrottleSettings } from '../src/authz/throttle.ts';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { connectRedisCounters } from '../src/store/redis-counters.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import { createTestDatabase, postgresReachable } from '../test/helpers/postgres.ts';
import { TEST_REDIS_URL, testRedisPrefix } from '../test/helpers/redis.ts';

// Budgets too large to block: every attempt takes the full path.
const SETTINGS: ThrottleSettings = {
  enabled: true,
  userIp: { failures: 1e9, windowSeconds: 900, blockSeconds: 300 },
  ip: { failures: 1e9, windowSeconds: 900, blockSeconds: 900 },
  user: { freeFailures: 1e9, windowSeconds: 3600, baseDelayMs: 0, maxDelayMs: 0, failures: 1e9, inFlight: 1e9, goodAddressDays: 14 },
  clientIp: { failures: 1e9, windowSeconds: 900, blockSeconds: 300 },
  ipv6Prefix: 64,
  otp: { failures: 1e9, windowSeconds: 900, blockSeconds: 900 },
};

async function measure(name: string, backend: ThrottleBackend, attempts: number): Promise<void> {
  const throttle = new LoginThrottle(SETTINGS, backend);
  const run = async (outcome: 'failed' | 'succeeded') => {
    const start = performance.now();
    for (let i = 0; i < attempts; i++) {
      const username = `user${i % 50}`;
      const ip = `10.0.${i % 7}.1`;
      await throttle.beforePassword(username, ip);
      await (outcome === 'failed' ? throttle.passwordFailed(username, ip) : throttle.passwordSucceeded(username, ip));
    }
    return ((performance.now() - start) * 1000) / attempts;
  };
  const failed = await run('failed');
  const succeeded = await run('succeeded');
  process.stdout.write(`${name.padEnd(9)} ${failed.toFixed(0).padStart(7)} µs per failed attempt  ${succeeded.toFixed(0).padStart(7)} µs per successful one  (n=${attempts})\n`);
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-bench-throttle-'));
try {
  await measure('memory', memoryThrottleBackend, 2000);
  const sqlite = new SqliteStore(join(dir, 'bench.db'));
  await sqlite.migrate();
  const sqliteBackend = sqlite.throttleCounters();
  await measure('sqlite', sqliteBackend, 2000);
  await sqliteBackend.close?.();
  await sqlite.close();

  if ((await postgresReachable()).ok) {
    const database = await createTestDatabase();
    const store = new PostgresStore(database.url);
    try {
      await store.migrate();
      const backend = store.throttleCounters();
      await measure('postgres', backend, 500);
      await backend.close?.();
    } finally {
      await store.close();
      await database.drop();
    }
  } else {
    process.stdout.write('postgres  not measured: PostgreSQL unreachable\n');
  }

  const redis = testRedisPrefix();
  try {
    const backend = await connectRedisCounters(TEST_REDIS_URL, redis.prefix);
    await measure('redis', backend, 2000);
    await backend.close?.();
    await redis.cleanup();
  } catch (error) {
    process.stdout.write(`redis     not measured: ${(error as Error).message}\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
