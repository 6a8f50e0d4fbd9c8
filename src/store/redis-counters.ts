import { Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { ConfigError } from '../core/errors.ts';
import type { Counter, CounterChange, Counters } from './counters.ts';

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
  const limiters = new WeakSet<Counter>();
  return {
    kind: 'redis',
    counter: (name, options) => {
      const limiter = new RateLimiterRedis({
        storeClient: client,
        rejectIfRedisNotReady: true,
        keyPrefix: `${keyPrefix}:${name}`,
        points: options.points,
        duration: options.durationSeconds,
      });
      limiters.add(limiter);
      return limiter;
    },
    async change(changes) {
      if (changes.length === 0) return [];
      if (client.status !== 'ready') throw new Error('Redis connection is not ready');
      const keys: string[] = [];
      const args: (string | number)[] = [];
      for (const change of changes) {
        const limiter = change.counter as RateLimiterRedis;
        if (!limiters.has(limiter)) throw new TypeError('Counters.change: a counter of another backend');
        keys.push(limiter.getKey(change.key));
        args.push(...changeArguments(change, limiter));
      }
      const replies = (await client.eval(CHANGE_SCRIPT, keys.length, ...keys, ...args)) as [number, number][];
      return replies.map(([points, ttl]) => (ttl === -2 ? null : { consumedPoints: points, msBeforeNext: ttl }));
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/**
 * `Counters.change` in one round trip: each change as RateLimiterRedis makes it (its Lua script for
 * an addition; SET with EX for a block; GET and PTTL; DEL), on the same keys. Arguments come in
 * threes per key (operation, points, seconds); each reply is {points, milliseconds left} with -2
 * milliseconds (Redis's PTTL of a missing key) for no state.
 */
const CHANGE_SCRIPT = `
local replies = {}
for i, key in ipairs(KEYS) do
  local op, points, seconds = ARGV[3 * i - 2], tonumber(ARGV[3 * i - 1]), tonumber(ARGV[3 * i])
  if op == 'add' then
    if seconds > 0 then redis.call('set', key, 0, 'EX', seconds, 'NX') end
    local consumed = redis.call('incrby', key, points)
    local ttl = redis.call('pttl', key)
    if ttl == -1 and seconds > 0 then
      redis.call('expire', key, seconds)
      ttl = 1000 * seconds
    end
    replies[i] = {consumed, ttl}
  elseif op == 'block' then
    if seconds > 0 then redis.call('set', key, points, 'EX', seconds) else redis.call('set', key, points) end
    replies[i] = {points, seconds > 0 and 1000 * seconds or -1}
  elseif op == 'get' then
    local consumed = redis.call('get', key)
    if consumed then replies[i] = {tonumber(consumed), redis.call('pttl', key)} else replies[i] = {0, -2} end
  else
    redis.call('del', key)
    replies[i] = {0, -2}
  end
end
return replies
`;

function changeArguments(change: CounterChange, limiter: RateLimiterRedis): [string, number, number] {
  switch (change.op) {
    case 'add':
      return ['add', change.points, limiter.duration];
    case 'get':
      return ['get', 0, 0];
    case 'block':
      return ['block', limiter.points + 1, change.seconds];
    case 'delete':
      return ['delete', 0, 0];
  }
}
