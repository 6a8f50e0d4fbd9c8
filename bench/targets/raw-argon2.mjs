// The physical limit of the password grant, in a plain `node` process: argon2id verifications
// called directly from @node-rs/argon2 with Portcullis's parameters, `connections` at a time (a
// closed loop, as the HTTP clients are), with the same thread-pool size as the servers. The runner
// asks for each measured window (`measure`) and gets every latency back.
import { performance } from 'node:perf_hooks';
import { hash, verify } from '@node-rs/argon2';
import { announce, argon2Options, serveRequests, targetOptions } from './announce.mjs';

const PASSWORD = 'correct horse battery staple';
const argon2 = argon2Options(targetOptions());
const stored = await hash(PASSWORD, argon2);

async function run(concurrency, seconds, samples) {
  const started = performance.now();
  const end = started + seconds * 1000;
  let count = 0;
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      if (!(await verify(stored, PASSWORD))) throw new Error('verification failed');
      samples?.push(performance.now() - t0);
      count++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { count, elapsed: (performance.now() - started) / 1000 };
}

serveRequests({
  async measure({ connections, duration, warmup }) {
    if (warmup > 0) await run(connections, warmup);
    const samples = [];
    const cpuBefore = process.cpuUsage();
    const { count, elapsed } = await run(connections, duration, samples);
    const cpu = process.cpuUsage(cpuBefore);
    return { count, elapsed, cpuUs: cpu.user + cpu.system, rss: process.memoryUsage.rss(), samples };
  },
});

announce({
  info: {
    settings: {
      library: '@node-rs/argon2 verify(), plain node',
      argon2,
      uvThreadpoolSize: process.env.UV_THREADPOOL_SIZE ?? '4 (libuv default)',
    },
  },
});
