/**
 * Portcullis alone under one load at a time, for the quick before/after of a change (no bounds,
 * no peers, nothing written): CPU per request, throughput, p99 and peak RSS of `portcullis serve`.
 *
 *   npm run bench:probe                                   # introspection and client credentials, 4 s each
 *   npm run bench:probe -- --duration 8 introspection
 *   npm run bench:probe -- --instant-hash password        # a hasher that does no work (in-process target)
 *   npm run bench:probe -- refresh                        # refresh with rotation (tokens seeded by password grants)
 *   npm run bench:probe -- authorization-code             # code redemption with PKCE (codes seeded before the load)
 *   npm run bench:probe -- --store postgres introspection # `portcullis serve` on a new PostgreSQL database
 *
 *   npm run bench:probe -- --latency refresh              # plus p99.9, max, event-loop delay, GC pauses and slow SQLite calls
 *   npm run bench:probe -- --node-arg=--max-semi-space-size=32 refresh   # a Node flag for the serve process (SQLite)
 *
 * With `--store postgres` (server at PORTCULLIS_TEST_PG, else postgres://postgres@127.0.0.1:5432/postgres)
 * the probe seeds a new database as the SQLite target does, runs one `node bin/portcullis.mjs serve`
 * on it with the default pool, and drops the database afterwards; it also prints the CPU per
 * request of PostgreSQL's backends for that database (its own work: the statements, the WAL flushes
 * of the commits; not its background processes).
 *
 * With --latency (SQLite) the server runs with bench/latency-probe.mjs preloaded; each load is warmed up
 * for a second, then the server's histograms start over and the measured window is reported.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { basicAuth, FORM, form, postForm } from './lib/forms.ts';
import { measureHttp, percentile, type ServerProbe } from './lib/load.ts';
import { mainThreadCpu, processCpu } from './lib/processes.ts';
import { spawnTarget } from './lib/spawn.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    duration: { type: 'string', default: '4' },
    connections: { type: 'string', default: '32' },
    'instant-hash': { type: 'boolean', default: false },
    store: { type: 'string', default: 'sqlite' },
    latency: { type: 'boolean', default: false },
    'node-arg': { type: 'string', multiple: true, default: [] },
  },
});
const loads = positionals.length > 0 ? positionals : ['introspection', 'client-credentials'];
if (values.store !== 'sqlite' && values.store !== 'postgres') throw new Error(`--store: sqlite or postgres, not ${values.store}`);

interface ProbeTarget extends ServerProbe {
  url: string;
  pid: number;
  info: Record<string, unknown>;
  call<T>(method: string, argument?: unknown): Promise<T>;
  /** PostgreSQL only: CPU time (µs) used so far by the server's backends for the target's database. */
  databaseCpu?(): Promise<number>;
  stop(): Promise<void>;
}

/** The bench's Portcullis target (bench/targets/portcullis.ts) on a new PostgreSQL database, dropped when it stops. */
async function postgresTarget(): Promise<ProbeTarget> {
  const adminUrl = process.env.PORTCULLIS_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const name = `portcullis_probe_${randomBytes(4).toString('hex')}`;
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    await client.query(text).finally(() => client.end());
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const target = await spawnTarget(
    'portcullis',
    { databaseUrl: url.toString(), secretKey: randomBytes(32).toString('base64url') },
    { env: { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '2' } },
  );
  // One login first: loopback then has a good history for the user, so that the parallel logins
  // that seed `refresh` are not refused as a burst on one account (docs/security.md).
  const info = target.info as { username: string; password: string; ropcClient: { id: string; secret: string } };
  await postForm(`${target.url}/oauth/token`, { grant_type: 'password', username: info.username, password: info.password }, basicAuth(info.ropcClient.id, info.ropcClient.secret));
  // The backends serving this database (the pool's connections, the change feed): the target's
  // pool keeps them open while it is busy, so the sum over the same backends is their CPU between
  // two readings. Not counted: PostgreSQL's background processes (WAL writer, checkpointer).
  const watcher = new pg.Client({ connectionString: adminUrl });
  await watcher.connect();
  return {
    ...target,
    async databaseCpu() {
      const { rows } = await watcher.query<{ pid: number }>("SELECT pid FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'", [name]);
      return rows.reduce((sum, row) => {
        try {
          return sum + processCpu(row.pid);
        } catch {
          return sum; // Gone since.
        }
      }, 0);
    },
    async stop() {
      await watcher.end();
      await target.stop();
      await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/** One PKCE verifier for every code of the run (RFC 7636 §4.1); the server still hashes it per redemption. */
const CODE_VERIFIER = randomBytes(32).toString('base64url');
const CODE_CHALLENGE = createHash('sha256').update(CODE_VERIFIER).digest('base64url');

if (values.store === 'postgres' && loads.includes('authorization-code')) throw new Error('authorization-code: its codes are seeded into the SQLite file');
if (values.latency && values.store === 'postgres') throw new Error('--latency watches SQLite calls: use it with --store sqlite');
if (values.latency && values['instant-hash']) throw new Error('--latency watches the serve process; --instant-hash has none');
const latencyDir = values.latency ? mkdtempSync(join(tmpdir(), 'portcullis-latency-')) : undefined;
const latencyReport = latencyDir && join(latencyDir, 'report.json');
const target: ProbeTarget =
  values.store === 'postgres'
    ? await postgresTarget()
    : await spawnTarget(
        'portcullis',
        { instantHash: values['instant-hash'] },
        {
          env: { UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '2', ...(latencyReport && { PORTCULLIS_LATENCY_REPORT: latencyReport }) },
          nodeArgs: [...values['node-arg'], ...(latencyReport ? ['--import', fileURLToPath(new URL('latency-probe.mjs', import.meta.url))] : [])],
        },
      );

/** Asks the preloaded probe for what it saw since the last call (and to start over). */
async function serverLatency(): Promise<LatencyReport> {
  rmSync(latencyReport!, { force: true });
  process.kill(target.pid, 'SIGUSR2');
  for (let tries = 0; tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    try {
      return JSON.parse(readFileSync(latencyReport!, 'utf8')) as LatencyReport;
    } catch {
      // Not written yet.
    }
  }
  throw new Error('the serve process wrote no latency report');
}

interface LatencyReport {
  loopDelayMs: { p50: number; p99: number; p999: number; max: number; mean: number };
  gc: { count: number; totalMs: number; byKind: Record<string, { count: number; totalMs: number; maxMs: number }> };
  slowSqlite: { sql: string; count: number; totalMs: number; maxMs: number }[];
}

try {
  const info = target.info as {
    serviceClient: { id: string; secret: string };
    jwtServiceClient: { id: string; secret: string };
    ropcClient: { id: string; secret: string };
    codeClient: { id: string; secret: string; redirectUri: string };
    username: string;
    password: string;
  };
  const service = basicAuth(info.serviceClient.id, info.serviceClient.secret);
  const jwtService = basicAuth(info.jwtServiceClient.id, info.jwtServiceClient.secret);
  const tokens: string[] = [];
  for (let i = 0; i < 64; i++) {
    const answer = await postForm(`${target.url}/oauth/token`, { grant_type: 'client_credentials' }, service);
    tokens.push(form({ token: answer.access_token as string }));
  }
  const ropc = basicAuth(info.ropcClient.id, info.ropcClient.secret);
  // Refresh tokens rotate: each answer gives back the token the next request presents.
  const refreshTokens: string[] = [];
  if (loads.includes('refresh')) {
    const connections = Number(values.connections);
    // Four logins at a time: more of one username at once are refused (throttle.user.in_flight, docs/security.md).
    for (let seeded = 0; seeded < connections * 4; seeded += 4) {
      const answers = await Promise.all(
        Array.from({ length: 4 }, () => postForm(`${target.url}/oauth/token`, { grant_type: 'password', username: info.username, password: info.password }, ropc)),
      );
      for (const answer of answers) refreshTokens.push(answer.refresh_token as string);
    }
  }
  const rotating = {
    nextBody: () => form({ grant_type: 'refresh_token', refresh_token: refreshTokens.shift() ?? 'pool-exhausted' }),
    onBody: (status: number, body: string) => {
      if (status === 200) refreshTokens.push((JSON.parse(body) as { refresh_token: string }).refresh_token);
    },
  };
  // Codes are seeded before the load, while the server is idle: enough for the warm-up and the window.
  const codes: string[] = [];
  if (loads.includes('authorization-code')) {
    const seconds = Number(values.duration) + 1 + (latencyReport ? 1 : 0);
    codes.push(...(await target.call<string[]>('seedCodes', { count: seconds * 6000 + Number(values.connections) * 2, codeChallenge: CODE_CHALLENGE })));
  }
  const redeeming = {
    nextBody: () =>
      form({ grant_type: 'authorization_code', code: codes.shift() ?? 'pool-exhausted', redirect_uri: info.codeClient.redirectUri, code_verifier: CODE_VERIFIER }),
  };
  const requests: Record<string, { path: string; authorization: string; bodies?: string[]; chain?: { nextBody: () => string; onBody?: (status: number, body: string) => void } }> = {
    introspection: { path: '/oauth/introspect', authorization: service, bodies: tokens },
    'client-credentials': { path: '/oauth/token', authorization: service, bodies: [form({ grant_type: 'client_credentials' })] },
    'client-credentials-jwt': { path: '/oauth/token', authorization: jwtService, bodies: [form({ grant_type: 'client_credentials' })] },
    password: {
      path: '/oauth/token',
      authorization: ropc,
      bodies: [form({ grant_type: 'password', username: info.username, password: info.password })],
    },
    refresh: { path: '/oauth/token', authorization: ropc, chain: rotating },
    'authorization-code': { path: '/oauth/token', authorization: basicAuth(info.codeClient.id, info.codeClient.secret), chain: redeeming },
  };
  for (const name of loads) {
    const load = requests[name];
    if (!load) throw new Error(`unknown load ${name}: one of ${Object.keys(requests).join(', ')}`);
    const options = {
      url: target.url,
      connections: Number(values.connections),
      duration: Number(values.duration),
      warmup: 1,
      request: { path: load.path, headers: { 'content-type': FORM, authorization: load.authorization } },
      ...(load.bodies && { bodies: load.bodies }),
      ...load.chain,
    };
    if (latencyReport) {
      await measureHttp({ ...options, duration: 1, warmup: 0 }, target);
      await serverLatency();
    }
    if (target.databaseCpu) await measureHttp({ ...options, duration: options.warmup, warmup: 0 });
    const databaseBefore = await target.databaseCpu?.();
    // The event loop's share: what a change moves to the thread pool leaves it, and comes back as req/s.
    const probe = { rss: () => target.rss(), cpu: () => target.cpu(), eventLoopCpu: async () => mainThreadCpu(target.pid) };
    const result = await measureHttp(latencyReport || target.databaseCpu ? { ...options, warmup: 0 } : options, probe);
    const databaseAfter = await target.databaseCpu?.();
    const database = databaseBefore === undefined ? '' : `  PostgreSQL ${((databaseAfter! - databaseBefore) / result.count).toFixed(0)} µs CPU/req`;
    console.log(
      `${name.padEnd(19)} ${result.cpuPerRequestUs?.toFixed(0).padStart(5)} µs CPU/req (event loop ${result.eventLoopCpuPerRequestUs?.toFixed(0)})  ${result.throughput.toFixed(0).padStart(6)} req/s  ` +
        `p99 ${result.p99.toFixed(2)} ms  peak RSS ${((result.peakRss ?? 0) / 1e6).toFixed(0)} MB  failures ${result.failures}${database}`,
    );
    if (latencyReport) printLatency(result.samples ?? [], await serverLatency());
  }
} finally {
  await target.stop();
  if (latencyDir) rmSync(latencyDir, { recursive: true, force: true });
}

function printLatency(samples: number[], server: LatencyReport): void {
  const at = (p: number) => percentile(samples, p).toFixed(2);
  console.log(`  requests (ms)        p50 ${at(50)}  p90 ${at(90)}  p99 ${at(99)}  p99.9 ${at(99.9)}  max ${at(100)}`);
  const loop = server.loopDelayMs;
  console.log(`  event-loop delay (ms) p50 ${loop.p50}  p99 ${loop.p99}  p99.9 ${loop.p999}  max ${loop.max}  mean ${loop.mean}`);
  const kinds = Object.entries(server.gc.byKind)
    .map(([kind, gc]) => `${kind} ${gc.count}× ${gc.totalMs.toFixed(0)} ms (max ${gc.maxMs.toFixed(1)})`)
    .join(', ');
  console.log(`  GC pauses            ${server.gc.count}, ${server.gc.totalMs.toFixed(0)} ms in all: ${kinds}`);
  for (const call of server.slowSqlite.slice(0, 8)) {
    console.log(`  SQLite ≥1 ms         ${String(call.count).padStart(5)}× ${call.totalMs.toFixed(0).padStart(5)} ms (max ${call.maxMs.toFixed(1)})  ${call.sql}`);
  }
}
