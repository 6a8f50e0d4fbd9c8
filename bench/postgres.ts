/**
 * PostgreSQL scenario (docs/benchmarks.md, docs/deployment.md): client credentials, refresh with
 * rotation and introspection against `portcullis serve` on PostgreSQL, with one instance and with
 * two instances on the same database (the load split between them, as behind a load balancer).
 *
 *   npm run bench:postgres -- [--duration 5] [--rounds 2] [--connections 32] [--pool 10] [--instances 1,2] [LOAD…]
 *
 * LOAD is any of client-credentials, refresh, introspection (default: all three). Each instance is
 * bench/targets/portcullis.ts with a database URL: its own `node bin/portcullis.mjs serve` process,
 * seeded once through the first. One and two instances take turns round by round, so that the
 * drift of a shared machine hits both alike. CPU per request is the servers' (both, with two),
 * not PostgreSQL's nor the load generator's.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { basicAuth, FORM, fmtRatio, form, postForm } from './lib/forms.ts';
import { type LoadOptions, type Measurement, measureHttp, percentile } from './lib/load.ts';
import { spawnTarget, type TargetProcess } from './lib/spawn.ts';
import type { BenchContext, Row, Scenario } from './scenario.ts';
import { RefreshPool } from './scenarios/refresh.ts';

/**
 * One instance on PostgreSQL before the batched writes (docs/benchmarks.md, issue 16): the bars
 * are multiples of these, measured on this 2-core machine.
 */
export const POSTGRES_BASELINE = { 'client-credentials': 1825, refresh: 1088, introspection: 3396 } as const;
export const POSTGRES_BARS = { 'client-credentials': 2, refresh: 2, introspection: 3 } as const;
/** Two instances on one database against one instance, same load. */
export const TWO_INSTANCES_BAR = 1.6;

export type PostgresLoad = keyof typeof POSTGRES_BASELINE;
const LOADS = Object.keys(POSTGRES_BASELINE) as PostgresLoad[];

export interface PostgresBenchOptions {
  loads: PostgresLoad[];
  /** Instance counts to measure, e.g. [1, 2]. */
  instances: number[];
  duration: number;
  warmup: number;
  rounds: number;
  /** Connections of the load in all (split evenly between instances). */
  connections: number;
  /** PORTCULLIS_DATABASE_POOL_MAX of each instance; the default setting when absent. */
  poolMax?: number;
  /** The server to create the scratch database on. */
  postgresUrl: string;
  targetEnv?: Record<string, string>;
  log: (message: string) => void;
}

export interface PostgresFigure {
  load: PostgresLoad;
  instances: number;
  measurement: Measurement;
}

interface Info {
  username: string;
  password: string;
  serviceClient: { id: string; secret: string };
  ropcClient: { id: string; secret: string };
}

async function admin(url: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Measurements of loads run at the same time on several servers, as one: req/s added, latencies merged, CPU per request over all. */
function together(parts: Measurement[]): Measurement {
  const samples = parts.flatMap((part) => part.samples ?? []).sort((a, b) => a - b);
  const count = parts.reduce((sum, part) => sum + part.count, 0);
  const weighted = (pick: (part: Measurement) => number | undefined) =>
    parts.reduce((sum, part) => sum + (pick(part) ?? 0) * part.count, 0) / Math.max(1, count);
  return {
    throughput: parts.reduce((sum, part) => sum + part.throughput, 0),
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    p999: percentile(samples, 99.9),
    count,
    failures: parts.reduce((sum, part) => sum + part.failures, 0),
    seconds: Math.max(...parts.map((part) => part.seconds)),
    connections: parts.reduce((sum, part) => sum + part.connections, 0),
    peakRss: Math.max(...parts.map((part) => part.peakRss ?? 0)),
    cpuPerRequestUs: weighted((part) => part.cpuPerRequestUs),
    generatorCpuPerRequestUs: weighted((part) => part.generatorCpuPerRequestUs),
    samples,
  };
}

/** Several rounds of one contender, one after the other, as one. */
function rounds(parts: Measurement[]): Measurement {
  const merged = together(parts);
  const seconds = parts.reduce((sum, part) => sum + part.seconds, 0);
  return { ...merged, throughput: parts.reduce((sum, part) => sum + part.throughput * part.seconds, 0) / seconds, seconds, connections: parts[0]!.connections };
}

/** Runs the scenario on a scratch database of its own and returns one figure per load and instance count. */
export async function runPostgresBench(options: PostgresBenchOptions): Promise<PostgresFigure[]> {
  const name = `portcullis_bench_${randomBytes(4).toString('hex')}`;
  const url = new URL(options.postgresUrl);
  url.pathname = `/${name}`;
  await admin(options.postgresUrl, `CREATE DATABASE ${name}`);
  const targets: TargetProcess[] = [];
  try {
    const common = {
      databaseUrl: url.toString(),
      secretKey: randomBytes(32).toString('base64url'),
      logLevel: 'warn',
      // The refresh tokens are seeded by a few hundred password grants of one user: the per-username
      // budgets (30 failures an hour, 10 before slowing down) would count their reservations.
      env: { PORTCULLIS_PURGE_INTERVAL: '0', PORTCULLIS_THROTTLE_USER_FAILURES: '100000', PORTCULLIS_THROTTLE_USER_FREE_FAILURES: '100000', ...(options.poolMax !== undefined ? { PORTCULLIS_DATABASE_POOL_MAX: String(options.poolMax) } : {}) },
    };
    const spawnOptions = { env: { UV_THREADPOOL_SIZE: '2', ...options.targetEnv } };
    const first = await spawnTarget('portcullis', common, spawnOptions);
    targets.push(first);
    const most = Math.max(...options.instances);
    for (let i = 1; i < most; i++) targets.push(await spawnTarget('portcullis', { ...common, seeded: first.info }, spawnOptions));

    const info = first.info as unknown as Info;
    const service = basicAuth(info.serviceClient.id, info.serviceClient.secret);
    const ropc = basicAuth(info.ropcClient.id, info.ropcClient.secret);
    const introspected: string[] = [];
    for (let i = 0; i < 64; i++) {
      const answer = await postForm(`${targets[i % targets.length]!.url}/oauth/token`, { grant_type: 'client_credentials' }, service);
      introspected.push(form({ token: answer.access_token as string }));
    }
    const refreshTokens = new RefreshPool();
    if (options.loads.includes('refresh')) {
      // Each load run may strand one token per connection: enough for every run of every count.
      const needed = options.connections * (options.rounds * options.instances.length + 2) * 2;
      for (let issued = 0; issued < needed; issued += 16) {
        const answers = await Promise.all(
          Array.from({ length: 16 }, () => postForm(`${first.url}/oauth/token`, { grant_type: 'password', username: info.username, password: info.password }, ropc)),
        );
        for (const answer of answers) refreshTokens.add(answer.refresh_token as string);
      }
    }
    const loads: Record<PostgresLoad, Omit<LoadOptions, 'url' | 'connections' | 'duration' | 'warmup'>> = {
      'client-credentials': { request: { path: '/oauth/token', headers: { 'content-type': FORM, authorization: service } }, bodies: [form({ grant_type: 'client_credentials' })] },
      introspection: { request: { path: '/oauth/introspect', headers: { 'content-type': FORM, authorization: service } }, bodies: introspected },
      refresh: {
        request: { path: '/oauth/token', headers: { 'content-type': FORM, authorization: ropc } },
        nextBody: () => form({ grant_type: 'refresh_token', refresh_token: refreshTokens.take() }),
        onBody: (status, body) => {
          if (status === 200) refreshTokens.add((JSON.parse(body) as { refresh_token: string }).refresh_token);
        },
      },
    };

    const figures: PostgresFigure[] = [];
    for (const load of options.loads) {
      const parts = new Map<number, Measurement[]>(options.instances.map((count) => [count, []]));
      for (let round = 0; round < options.rounds; round++) {
        for (const count of options.instances) {
          const serving = targets.slice(0, count);
          const window = { duration: options.duration / options.rounds, warmup: round === 0 ? options.warmup : 0 };
          const measured = together(
            await Promise.all(
              serving.map((target) =>
                measureHttp({ ...loads[load], ...window, url: target.url, connections: Math.max(1, Math.round(options.connections / count)) }, target),
              ),
            ),
          );
          options.log(
            `  ${load}, ${count} instance${count > 1 ? 's' : ''}: ${measured.throughput.toFixed(0)} req/s, p99 ${measured.p99.toFixed(2)} ms, ` +
              `${measured.cpuPerRequestUs?.toFixed(0)} µs CPU/req, load average ${loadavg()[0]!.toFixed(2)}` +
              (measured.failures > 0 ? `, ${measured.failures} failed` : ''),
          );
          parts.get(count)!.push(measured);
        }
      }
      for (const count of options.instances) figures.push({ load, instances: count, measurement: rounds(parts.get(count)!) });
    }
    return figures;
  } finally {
    await Promise.all(targets.map((target) => target.stop()));
    await admin(options.postgresUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
  }
}

const TITLES: Record<PostgresLoad, string> = {
  'client-credentials': 'client credentials',
  refresh: 'refresh with rotation',
  introspection: 'introspection',
};

/** The table rows: each load against its bar (a multiple of the baseline above), then two instances against one. */
export function postgresRows(figures: PostgresFigure[], connections: number): Row[] {
  const rows: Row[] = [];
  for (const load of LOADS) {
    const one = figures.find((figure) => figure.load === load && figure.instances === 1);
    const two = figures.find((figure) => figure.load === load && figure.instances === 2);
    const scenario = `PostgreSQL, ${TITLES[load]}, c=${connections}`;
    if (one) {
      const ratio = one.measurement.throughput / POSTGRES_BASELINE[load];
      rows.push({
        scenario,
        subject: 'Portcullis, one instance',
        measurement: one.measurement,
        ratioText: `${fmtRatio(ratio)} req/s of the ${POSTGRES_BASELINE[load].toLocaleString('en')}/s before batching`,
        ratios: { throughput: ratio },
        bar: `≥ ${POSTGRES_BARS[load]}× ${POSTGRES_BASELINE[load].toLocaleString('en')}/s`,
        status: one.measurement.failures > 0 ? 'failed' : ratio >= POSTGRES_BARS[load] ? 'pass' : 'miss',
      });
    }
    if (one && two) {
      const ratio = two.measurement.throughput / one.measurement.throughput;
      rows.push({
        scenario,
        subject: 'Portcullis, two instances on one database',
        measurement: two.measurement,
        ratioText: `${fmtRatio(ratio)} req/s of one instance`,
        ratios: { throughput: ratio },
        bar: `≥ ${TWO_INSTANCES_BAR}× one instance`,
        status: two.measurement.failures > 0 ? 'failed' : ratio >= TWO_INSTANCES_BAR ? 'pass' : 'miss',
        note: 'one machine of 2 cores runs both instances, PostgreSQL and the load generator',
      });
    }
  }
  return rows;
}

/** The PostgreSQL section of `npm run bench` (bench/registry.ts). */
export const postgresScenario: Scenario = {
  id: 'postgres',
  title: 'PostgreSQL: one and two instances',
  async run(ctx: BenchContext) {
    const { settings } = ctx;
    const figures = await runPostgresBench({
      loads: LOADS,
      instances: [1, 2],
      duration: settings.duration,
      warmup: settings.warmup,
      rounds: settings.rounds,
      connections: settings.connections,
      postgresUrl: process.env.PORTCULLIS_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      targetEnv: settings.targetEnv,
      log: (message) => ctx.log(message),
    });
    return postgresRows(figures, settings.connections);
  },
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      duration: { type: 'string', default: '6' },
      warmup: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '32' },
      pool: { type: 'string' },
      instances: { type: 'string', default: '1,2' },
    },
  });
  const loads = (positionals.length > 0 ? positionals : LOADS) as PostgresLoad[];
  for (const load of loads) if (!LOADS.includes(load)) throw new Error(`unknown load ${load}: one of ${LOADS.join(', ')}`);
  const figures = await runPostgresBench({
    loads,
    instances: values.instances.split(',').map(Number),
    duration: Number(values.duration),
    warmup: Number(values.warmup),
    rounds: Number(values.rounds),
    connections: Number(values.connections),
    ...(values.pool !== undefined ? { poolMax: Number(values.pool) } : {}),
    postgresUrl: process.env.PORTCULLIS_BENCH_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    log: (message) => console.log(message),
  });
  for (const { load, instances, measurement: m } of figures) {
    console.log(
      `${load.padEnd(19)} ${instances} instance${instances > 1 ? 's' : ' '}  ${m.cpuPerRequestUs?.toFixed(0).padStart(5)} µs CPU/req  ` +
        `${m.throughput.toFixed(0).padStart(6)} req/s  p99 ${m.p99.toFixed(2)} ms  failures ${m.failures}`,
    );
  }
}
