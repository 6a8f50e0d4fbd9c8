/**
 * Where a server's CPU goes, thread by thread, under the password-grant load (Linux: reads the
 * stat file of each thread under /proc/PID/task): the event loop against the thread pool that runs
 * argon2id and V8's own threads. The figures behind the password analysis in docs/benchmarks.md.
 *
 *   npm run bench:threads                                  # Portcullis and @node-oauth/oauth2-server
 *   npm run bench:threads -- --instant-hash                # Portcullis with a hasher that does no work
 *   npm run bench:threads -- --rate 160 --duration 10      # at a fixed rate instead of a closed loop
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { basicAuth, FORM, form } from './lib/forms.ts';
import { measureHttp } from './lib/load.ts';
import { spawnTarget } from './lib/spawn.ts';

const { values } = parseArgs({
  options: {
    'instant-hash': { type: 'boolean', default: false },
    rate: { type: 'string' },
    duration: { type: 'string', default: '6' },
    connections: { type: 'string', default: '32' },
  },
});

/** Clock ticks (user + system) each thread of `pid` has used so far. */
function threadTicks(pid: number): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]));
  }
  return ticks;
}

const TICK_US = 10_000; // USER_HZ = 100 on Linux

async function measure(name: 'portcullis' | 'oauth2-server'): Promise<void> {
  const instantHash = values['instant-hash'] && name === 'portcullis';
  const target = await spawnTarget(name, { instantHash }, { env: { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '2' } });
  try {
    const info = target.info as { ropcClient?: { id: string; secret: string }; client?: { id: string; secret: string }; username: string; password: string; paths?: { token: string } };
    const client = (info.ropcClient ?? info.client)!;
    const load = {
      url: target.url,
      connections: Number(values.connections),
      warmup: 0,
      request: { path: info.paths?.token ?? '/oauth/token', headers: { 'content-type': FORM, authorization: basicAuth(client.id, client.secret) } },
      bodies: [form({ grant_type: 'password', username: info.username, password: info.password })],
      ...(values.rate ? { overallRate: Number(values.rate) } : {}),
    };
    await measureHttp({ ...load, duration: 2 }, target);
    const before = threadTicks(target.pid);
    const result = await measureHttp({ ...load, duration: Number(values.duration) }, target);
    const after = threadTicks(target.pid);
    const perRequest = (tid: number) => (((after.get(tid) ?? 0) - (before.get(tid) ?? 0)) * TICK_US) / result.count;
    const others = [...after.keys()].filter((tid) => tid !== target.pid).map((tid) => ({ tid, us: perRequest(tid) })).sort((a, b) => b.us - a.us);
    const pool = others.slice(0, Number(process.env.UV_THREADPOOL_SIZE ?? 2));
    const rest = others.slice(pool.length);
    const sum = (list: { us: number }[]) => list.reduce((total, thread) => total + thread.us, 0);
    console.log(
      `${`${name}${instantHash ? ' (instant hash)' : ''}`.padEnd(30)} ${result.throughput.toFixed(0).padStart(5)} req/s  ` +
        `CPU µs per request: event loop ${perRequest(target.pid).toFixed(0).padStart(5)}, ` +
        `busiest ${pool.length} threads (the pool) ${sum(pool).toFixed(0).padStart(6)}, other ${rest.length} threads ${sum(rest).toFixed(0).padStart(4)}`,
    );
  } finally {
    await target.stop();
  }
}

await measure('portcullis');
if (!values['instant-hash']) await measure('oauth2-server');
