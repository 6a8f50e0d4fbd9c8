import { hash, verify, type Algorithm } from '@node-rs/argon2';
import { MIN_ARGON2 } from '../../src/core/password-hash.ts';
import { LatencyRecorder, type Measurement, percentile } from '../lib/load.ts';
import type { TargetStarter } from '../lib/target.ts';

const PASSWORD = 'correct horse battery staple';

/**
 * The physical limit of the password grant: argon2id verifications called directly from
 * @node-rs/argon2, with the parameters Portcullis uses, `concurrency` at a time (a closed loop, as
 * the HTTP clients are), in a process of its own with the same thread-pool size as the server.
 */
export const start: TargetStarter = async () => {
  const stored = await hash(PASSWORD, { algorithm: 2 as Algorithm, ...MIN_ARGON2 });

  async function run(concurrency: number, seconds: number, recorder?: LatencyRecorder): Promise<{ count: number; elapsed: number }> {
    const started = performance.now();
    const end = started + seconds * 1000;
    let count = 0;
    const worker = async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        if (!(await verify(stored, PASSWORD))) throw new Error('verification failed');
        recorder?.record(performance.now() - t0);
        count++;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return { count, elapsed: (performance.now() - started) / 1000 };
  }

  return {
    info: {
      settings: {
        library: '@node-rs/argon2 verify()',
        argon2: MIN_ARGON2,
        uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (libuv default)',
      },
    },
    rpc: {
      async measure(argument): Promise<Measurement> {
        const { connections, duration, warmup } = argument as { connections: number; duration: number; warmup: number };
        if (warmup > 0) await run(connections, warmup);
        const recorder = new LatencyRecorder();
        const cpuBefore = process.cpuUsage();
        const { count, elapsed } = await run(connections, duration, recorder);
        const cpu = process.cpuUsage(cpuBefore);
        const sorted = recorder.sorted();
        return {
          throughput: count / elapsed,
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
          count,
          failures: 0,
          seconds: elapsed,
          connections,
          peakRss: process.memoryUsage.rss(),
          cpuPerRequestUs: (cpu.user + cpu.system) / Math.max(1, count),
          samples: Array.from(sorted),
        };
      },
    },
    async close() {},
  };
};
