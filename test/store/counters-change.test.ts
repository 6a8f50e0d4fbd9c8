import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_THROTTLE, LoginThrottle, memoryThrottleBackend, Throttled } from '../../src/authz/throttle.ts';
import type { Counters } from '../../src/store/counters.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { connectRedisCounters } from '../../src/store/redis-counters.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { requireRedis, TEST_REDIS_URL, testRedisPrefix } from '../helpers/redis.ts';

let suites = 0;

/**
 * `Counters.change` (several counter changes in one statement or round trip) against every backend
 * the throttle runs on: it must answer exactly as the one-key methods do, and stay atomic per key,
 * so that the throttle's promises (docs/security.md) hold whichever backend counts.
 */
function changeContract(backendName: string, open: () => Promise<{ counters: Counters; cleanup: () => Promise<void> }>): void {
  describe(`Counters.change on ${backendName}`, () => {
    let counters: Counters;
    let cleanup: () => Promise<void>;
    // Counter names of their own per suite: the Redis and PostgreSQL ones outlive a single test.
    const name = (counter: string) => `${counter}_${++suites}`;

    before(async () => {
      ({ counters, cleanup } = await open());
    });
    after(async () => {
      await counters.close?.();
      await cleanup();
    });

    test('adds, reads, blocks and deletes in one call, answering as the one-key methods do', async () => {
      const failures = counters.counter(name('failures'), { points: 5, durationSeconds: 60 });
      const other = counters.counter(name('other'), { points: 1, durationSeconds: 600 });
      await failures.penalty('b', 2);
      await other.penalty('d');
      const [added, read, absent, blocked, deleted] = await counters.change([
        { counter: failures, key: 'a', op: 'add', points: 1 },
        { counter: failures, key: 'b', op: 'get' },
        { counter: failures, key: 'never', op: 'get' },
        { counter: other, key: 'c', op: 'block', seconds: 30 },
        { counter: other, key: 'd', op: 'delete' },
      ]);
      assert.equal(added?.consumedPoints, 1);
      assert.ok(added.msBeforeNext > 55_000 && added.msBeforeNext <= 60_000, 'a first point starts its window');
      assert.equal(read?.consumedPoints, 2);
      assert.equal(absent, null);
      const blockedFor = blocked?.msBeforeNext ?? 0;
      assert.deepEqual([blocked?.consumedPoints, blockedFor > 25_000 && blockedFor <= 30_000], [2, true], 'blocked: past the budget of 1');
      assert.equal(deleted, null);

      assert.equal((await failures.get('a'))?.consumedPoints, 1, 'the one-key methods see the changes');
      assert.equal(await failures.get('never'), null, 'a read leaves an absent key absent');
      assert.equal((await other.get('c'))?.consumedPoints, 2);
      assert.equal(await other.get('d'), null);
      assert.equal((await other.penalty('d')).consumedPoints, 1, 'a deleted key counts from zero again');
    });

    test('a negative addition takes points back; a read after it sees the count', async () => {
      const counter = counters.counter(name('refunds'), { points: 10, durationSeconds: 60 });
      await counter.penalty('k', 3);
      const [rewarded] = await counters.change([{ counter, key: 'k', op: 'add', points: -1 }]);
      assert.equal(rewarded?.consumedPoints, 2);
      const [read] = await counters.change([{ counter, key: 'k', op: 'get' }]);
      assert.equal(read?.consumedPoints, 2);
    });

    test('parallel calls on one key each see an exact count', async () => {
      const counter = counters.counter(name('parallel'), { points: 100, durationSeconds: 60 });
      const states = await Promise.all(Array.from({ length: 20 }, () => counters.change([{ counter, key: 'k', op: 'add', points: 1 }])));
      assert.deepEqual(
        states.map(([state]) => state!.consumedPoints).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    test('the password throttle on it: a parallel burst runs at most the budget, and successes refund', async () => {
      const settings = { ...DEFAULT_THROTTLE, userIp: { failures: 3, windowSeconds: 60, blockSeconds: 30 } };
      const throttle = new LoginThrottle(settings, counters, async () => {});
      const user = `burst-${suites}`;
      const outcomes = await Promise.allSettled(Array.from({ length: 12 }, () => throttle.beforePassword(user, '10.9.9.9')));
      assert.equal(outcomes.filter((outcome) => outcome.status === 'fulfilled').length, settings.userIp.failures);
      assert.ok(outcomes.every((outcome) => outcome.status === 'fulfilled' || outcome.reason instanceof Throttled));
      for (let i = 0; i < 3; i++) await throttle.passwordSucceeded(user, '10.9.9.9');
      for (let i = 0; i < 10; i++) {
        await throttle.beforePassword(user, '10.9.9.9');
        await throttle.passwordSucceeded(user, '10.9.9.9');
      }
      for (let i = 0; i < settings.userIp.failures; i++) {
        await throttle.beforePassword(user, '10.9.9.9');
        await throttle.passwordFailed(user, '10.9.9.9');
      }
      await assert.rejects(throttle.beforePassword(user, '10.9.9.9'), (error) => error instanceof Throttled && error.reason === 'user_ip');
    });
  });
}

changeContract('memory', async () => ({ counters: memoryThrottleBackend, cleanup: async () => {} }));

changeContract('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-counters-'));
  const store = new SqliteStore(join(dir, 'p.db'));
  await store.migrate();
  return {
    counters: store.throttleCounters(),
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

if (await requirePostgres('Counters.change on PostgreSQL')) {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });
  changeContract('PostgreSQL', async () => {
    const store = new PostgresStore(database.url);
    await store.migrate();
    return { counters: store.throttleCounters(), cleanup: () => store.close() };
  });
}

if (await requireRedis('Counters.change on Redis')) {
  changeContract('Redis', async () => {
    const redis = testRedisPrefix();
    return { counters: await connectRedisCounters(TEST_REDIS_URL, redis.prefix), cleanup: () => redis.cleanup() };
  });
}
