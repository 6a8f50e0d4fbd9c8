import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { requireService, type ServiceCheck } from './services.ts';

/** The Redis the tests use (override with PORTCULLIS_TEST_REDIS). */
export const TEST_REDIS_URL = process.env.PORTCULLIS_TEST_REDIS ?? 'redis://127.0.0.1:6379';

/**
 * Whether the Redis tests of `suite` run: under CI an unreachable server is a failure (thrown at
 * load, so the run goes red); on a developer's machine they are counted as skipped, with the reason.
 */
export async function requireRedis(suite: string): Promise<boolean> {
  const client = new Redis(TEST_REDIS_URL, { lazyConnect: true, connectTimeout: 2_000, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  let failure: Error | undefined;
  client.on('error', (error: Error) => (failure ??= error));
  let check: ServiceCheck = { ok: true };
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    check = {
      ok: false,
      problem: `Redis at ${TEST_REDIS_URL} is unreachable (${(failure ?? (error as Error)).message})`,
      remedy: 'Start it (redis-server) or set PORTCULLIS_TEST_REDIS.',
    };
  } finally {
    client.disconnect();
  }
  return requireService(suite, check);
}

/** A key prefix no other run uses, and a cleanup that deletes every key under it. */
export function testRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `portcullis-test-${randomBytes(6).toString('hex')}`;
  return {
    prefix,
    async cleanup() {
      const client = new Redis(TEST_REDIS_URL);
      try {
        const keys: string[] = [];
        let cursor = '0';
        do {
          const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          keys.push(...batch);
        } while (cursor !== '0');
        if (keys.length > 0) await client.del(...keys);
      } finally {
        client.disconnect();
      }
    },
  };
}
