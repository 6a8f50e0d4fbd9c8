import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { ConfigError } from '../core/errors.ts';
import type { Counters } from './counters.ts';

/**
 * Counters in Redis (rate-limiter-flexible's RateLimiterRedis), shared by every instance using
 * that Redis. Connects (and checks the connection) before the server starts: a wrong `redis_url`
 * stops start-up with one line naming the setting. The URL is never printed (it may hold a
 * password). When Redis becomes unreachable later, password attempts fail with a server error
 * rather than go uncounted.
 */
export async function connectRedisCounters(url: string, keyPrefix: string): Promise<Counters> {
  let client: Redis;
  try {
    client = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 1, enableOfflineQueue: false });
  } catch (error) {
    throw new ConfigError(`redis_url is not a usable Redis URL: ${(error as Error).message.split('\n')[0]}`);
  }
  // ioredis reconnects on its own; each refused command is reported where it fails.
  let lastError: NodeJS.ErrnoException | undefined;
  client.on('error', (error: NodeJS.ErrnoException) => (lastError = error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    const cause = lastError ?? (error as NodeJS.ErrnoException);
    const reason = cause.code ?? cause.message.split('\n')[0];
    const { hostname, port } = new URL(url);
    throw new ConfigError(`redis_url: cannot reach Redis at ${hostname}:${port || 6379} (${reason})`);
  }
  return {
    kind: 'redis',
    counter: (name, options) =>
      new RateLimiterRedis({
        storeClient: client,
        rejectIfRedisNotReady: true,
        keyPrefix: `${keyPrefix}:${name}`,
        points: options.points,
        duration: options.durationSeconds,
      }),
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
