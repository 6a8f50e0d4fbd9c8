/**
 * Scale scenario (docs/deployment.md, docs/benchmarks.md): token issue and introspection throughput, and the server's
 * resident memory, with an empty store and with a million live tokens stored.
 *
 *   npm run bench:scale -- [--store sqlite|postgres|both] [--tokens 1000000] [--duration 5] [--connections 16]
 *
 * Each phase runs `portcullis serve` as its own process (as in production) and loads it with
 * autocannon from this process. "Issue" is the client_credentials grant: the same store write as a
 * password grant (one family, one token) without the argon2id verification, which would otherwise be
 * all that is measured. "Introspect" asks about tokens picked at random among those stored, so that
 * at a million the lookups hit cold rows, not one cached page.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';
import { systemClock } from '../src/core/clock.ts';
import { registerClient } from '../src/manage/clients.ts';
import { PostgresStore } from '../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { startServerProcess, type ServerProcess } from '../test/helpers/processes.ts';
import type { Measurement } from './lib/load.ts';
import type { Row, Scenario } from './scenario.ts';
import { MEMORY_BAR_MB } from './scenarios/memory.ts';

/** The part of autocannon's result this bench reads (the package ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p99: number };
  errors: number;
  non2xx: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: object) => Promise<AutocannonResult>;

export interface ScaleOptions {
  store: 'sqlite' | 'postgres';
  /** Live tokens to store for the "loaded" phase. */
  tokens: number;
  /** Seconds each load runs. */
  duration: number;
  connections: number;
  /** Server to create the scratch database on (PostgreSQL only). */
  postgresUrl?: string;
}

export interface PhaseFigures {
  storedTokens: number;
  issuePerSecond: number;
  issueP99Ms: number;
  introspectPerSecond: number;
  introspectP99Ms: number;
  /** Server RSS after the loads, and its peak, in MB. */
  rssMb: number;
  peakRssMb: number;
  errors: number;
}

export interface ScaleFigures {
  store: 'sqlite' | 'postgres';
  tokens: number;
  loadSeconds: number;
  /** SQLite file (with WAL) or PostgreSQL database size after loading, in MB. */
  storeSizeMb: number;
  /** The machine's 1-minute load average when the phases ran: figures from a busy machine compare only within a run. */
  loadAverage: number[];
  /** One background-purge batch over the loaded store with nothing due (the scan it costs), in ms. */
  purgeScanMs: number;
  empty: PhaseFigures;
  loaded: PhaseFigures;
}

const BATCH = 10_000;

/** Deterministic, distinct plain tokens (so the bench knows what it stored without keeping randomness). */
function plainToken(seed: string, i: number): string {
  return createHash('sha256').update(`${seed}:${i}`).digest('base64url');
}
const hash = (token: string) => createHash('sha256').update(token).digest('base64url');

interface Loaded {
  /** Plain access tokens, for introspection. */
  sample: string[];
}

/**
 * Writes `count` live tokens (half access, half refresh, one family per pair) straight into the
 * database, in batches of 10,000 rows per transaction: a bench fixture, not a server code path.
 */
export async function bulkLoad(kind: 'sqlite' | 'postgres', target: string, clientId: string, count: number): Promise<Loaded> {
  const seed = randomBytes(8).toString('hex');
  const now = Math.floor(Date.now() / 1000);
  const pairs = Math.floor(count / 2);
  const sample: string[] = [];
  if (kind === 'sqlite') {
    const db = new Database(target);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const family = db.prepare('INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES (?, ?, NULL, \'\', 0, ?)');
    const token = db.prepare(
      'INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at) VALUES (?, ?, ?, ?, NULL, \'\', ?, ?)',
    );
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const familyId = `bench-${seed}-${i}`;
        const access = plainToken(seed, 2 * i);
        if (i % 50 === 0) sample.push(access);
        family.run(familyId, clientId, now);
        token.run(hash(access), 'access', familyId, clientId, now, now + 86_400);
        token.run(hash(plainToken(seed, 2 * i + 1)), 'refresh', familyId, clientId, now, now + 30 * 86_400);
      }
    });
    for (let from = 0; from < pairs; from += BATCH / 2) batch(from, Math.min(pairs, from + BATCH / 2));
    db.close();
  } else {
    const client = new pg.Client({ connectionString: target });
    await client.connect();
    try {
      for (let from = 0; from < pairs; from += BATCH / 2) {
        const to = Math.min(pairs, from + BATCH / 2);
        const ids: string[] = [];
        const hashes: string[] = [];
        const kinds: string[] = [];
        const tokenFamilies: string[] = [];
        const expiries: number[] = [];
        for (let i = from; i < to; i++) {
          const familyId = `bench-${seed}-${i}`;
          const access = plainToken(seed, 2 * i);
          if (i % 50 === 0) sample.push(access);
          ids.push(familyId);
          hashes.push(hash(access), hash(plainToken(seed, 2 * i + 1)));
          kinds.push('access', 'refresh');
          tokenFamilies.push(familyId, familyId);
          expiries.push(now + 86_400, now + 30 * 86_400);
        }
        await client.query('BEGIN');
        await client.query(
          `INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at)
           SELECT id, $2, NULL, '', 0, $3 FROM unnest($1::text[]) AS id`,
          [ids, clientId, now],
        );
        await client.query(
          `INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at)
           SELECT h, k, f, $4, NULL, '', $5, e FROM unnest($1::text[], $2::text[], $3::text[], $6::bigint[]) AS x (h, k, f, e)`,
          [hashes, kinds, tokenFamilies, clientId, now, expiries],
        );
        await client.query('COMMIT');
      }
      // What autovacuum does in time on a table that grew gradually (hint bits, visibility map,
      // statistics); without it the first reads after a bulk load rewrite every page.
      await client.query('VACUUM ANALYZE tokens');
      await client.query('VACUUM ANALYZE token_families');
      // Flush the load's dirty pages now, not during the measurement.
      await client.query('CHECKPOINT');
    } finally {
      await client.end();
    }
  }
  return { sample };
}

async function rssOf(pid: number): Promise<{ rssMb: number; peakRssMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakRssMb: Math.round(kb('VmHWM') / 1024) };
}

async function load(
  url: string,
  path: string,
  body: () => string,
  basic: string,
  options: ScaleOptions,
): Promise<{ perSecond: number; p99: number; errors: number }> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        method: 'POST',
        path,
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        setupRequest: (request: Record<string, unknown>) => ({ ...request, body: body() }),
      },
    ],
  });
  return { perSecond: Math.round(result.requests.average), p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function measure(server: ServerProcess, basic: string, introspectable: string[], stored: number, options: ScaleOptions): Promise<PhaseFigures> {
  const pick = () => `token=${introspectable[Math.floor(Math.random() * introspectable.length)]}`;
  const issue = await load(server.url, '/oauth/token', () => 'grant_type=client_credentials', basic, options);
  const introspect = await load(server.url, '/oauth/introspect', pick, basic, options);
  return {
    storedTokens: stored,
    issuePerSecond: issue.perSecond,
    issueP99Ms: issue.p99,
    introspectPerSecond: introspect.perSecond,
    introspectP99Ms: introspect.p99,
    ...(await rssOf(server.child.pid!)),
    errors: issue.errors + introspect.errors,
  };
}

/** Tokens issued over HTTP, for introspection in the empty phase. */
async function issueSome(url: string, basic: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await fetch(`${url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
      body: 'grant_type=client_credentials',
    });
    tokens.push(((await response.json()) as { access_token: string }).access_token);
  }
  return tokens;
}

/** Runs the scenario on one store and returns the figures. */
export async function runScaleBench(options: ScaleOptions): Promise<ScaleFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-scale-'));
  const sqlitePath = join(dir, 'portcullis.db');
  const adminUrl = options.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const databaseName = `portcullis_bench_${randomBytes(4).toString('hex')}`;
  let databaseUrl: string | undefined;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };

  let store: Store;
  if (options.store === 'postgres') {
    await admin(`CREATE DATABASE ${databaseName}`);
    const url = new URL(adminUrl);
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
    store = new PostgresStore(databaseUrl);
  } else {
    store = new SqliteStore(sqlitePath);
  }
  const env: Record<string, string> =
    options.store === 'postgres'
      ? { PORTCULLIS_DATABASE_URL: databaseUrl!, PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64url'), PORTCULLIS_DATABASE_POOL_MAX: '20' }
      : { PORTCULLIS_DB: sqlitePath };
  Object.assign(env, { PORTCULLIS_LOG_LEVEL: 'warn', PORTCULLIS_PURGE_INTERVAL: '0' });

  try {
    await store.migrate();
    const { client, secret } = await registerClient(store, systemClock, {
      name: 'scale-bench',
      type: 'confidential',
      grants: ['client_credentials'],
      introspect: true,
    });
    await store.close();
    const basic = `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}`;

    const loadAverage: number[] = [];
    let server = await startServerProcess(env);
    loadAverage.push(loadavg()[0]!);
    const empty = await measure(server, basic, await issueSome(server.url, basic, 200), 0, options);
    await server.stop();

    const started = performance.now();
    const target = options.store === 'postgres' ? databaseUrl! : sqlitePath;
    const { sample } = await bulkLoad(options.store, target, client.id, options.tokens);
    const loadSeconds = Math.round((performance.now() - started) / 100) / 10;
    const storeSizeMb =
      options.store === 'postgres'
        ? Math.round(Number((await admin(`SELECT pg_database_size('${databaseName}') AS size`)).rows[0].size) / 1048576)
        : Math.round(
            [sqlitePath, `${sqlitePath}-wal`].reduce((sum, file) => sum + (statSync(file, { throwIfNoEntry: false })?.size ?? 0), 0) / 1048576,
          );

    const scanned = options.store === 'postgres' ? new PostgresStore(databaseUrl!) : new SqliteStore(sqlitePath);
    const scanStarted = performance.now();
    await scanned.purgeExpired(Math.floor(Date.now() / 1000), 1000);
    const purgeScanMs = Math.round(performance.now() - scanStarted);
    await scanned.close();

    server = await startServerProcess(env);
    loadAverage.push(loadavg()[0]!);
    const loaded = await measure(server, basic, sample, options.tokens, options);
    await server.stop();
    return { store: options.store, tokens: options.tokens, loadSeconds, storeSizeMb, loadAverage, purgeScanMs, empty, loaded };
  } finally {
    await store.close().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    if (options.store === 'postgres') await admin(`DROP DATABASE IF EXISTS ${databaseName} WITH (FORCE)`).catch(() => {});
  }
}

/** Tokens stored by `npm run bench`: docs/benchmarks.md's million, or a tenth of it with --quick. */
export const SCALE_TOKENS = { full: 1_000_000, quick: 100_000 };

function loadMeasurement(perSecond: number, p99: number, options: { duration: number; connections: number }, errors: number): Measurement {
  return {
    throughput: perSecond,
    p50: Number.NaN,
    p99,
    // The scale bench records p99 only.
    p999: Number.NaN,
    count: Math.round(perSecond * options.duration),
    failures: errors,
    seconds: options.duration,
    connections: options.connections,
  };
}

/** The table rows for one scale run: issue and introspection, empty store against loaded, then resident memory. */
export function scaleRows(figures: ScaleFigures, options: { duration: number; connections: number; quick: boolean }): Row[] {
  const count = figures.tokens.toLocaleString('en');
  const store = figures.store === 'sqlite' ? 'SQLite' : 'PostgreSQL';
  const scenario = `${figures.tokens === 1_000_000 ? 'One million' : count} live tokens stored, ${store}, c=${options.connections}`;
  const quickNote = options.quick ? `--quick: ${count} tokens; the full run stores one million` : undefined;
  const ratio = (a: number, b: number) => (b > 0 ? a / b : Number.NaN);
  const { empty, loaded } = figures;
  const issueRatio = ratio(loaded.issuePerSecond, empty.issuePerSecond);
  const introspectRatio = ratio(loaded.introspectPerSecond, empty.introspectPerSecond);
  const errorsNote = (phase: PhaseFigures) => (phase.errors > 0 ? `${phase.errors} failed requests` : undefined);
  const join = (...parts: (string | undefined)[]) => parts.filter(Boolean).join('; ') || undefined;
  return [
    {
      scenario,
      subject: 'Portcullis, empty store: token issue (client credentials)',
      measurement: loadMeasurement(empty.issuePerSecond, empty.issueP99Ms, options, 0),
      status: 'bound',
    },
    {
      scenario,
      subject: `Portcullis, ${count} tokens stored: token issue (client credentials)`,
      measurement: loadMeasurement(loaded.issuePerSecond, loaded.issueP99Ms, options, 0),
      ratioText: `${issueRatio.toFixed(2)}× req/s`,
      ratios: { throughput: issueRatio },
      status: 'measured',
      note: join(quickNote, errorsNote(loaded)),
    },
    {
      scenario,
      subject: 'Portcullis, empty store: introspection of random stored tokens',
      measurement: loadMeasurement(empty.introspectPerSecond, empty.introspectP99Ms, options, 0),
      status: 'bound',
    },
    {
      scenario,
      subject: `Portcullis, ${count} tokens stored: introspection of random stored tokens`,
      measurement: loadMeasurement(loaded.introspectPerSecond, loaded.introspectP99Ms, options, 0),
      ratioText: `${introspectRatio.toFixed(2)}× req/s`,
      ratios: { throughput: introspectRatio },
      status: 'measured',
    },
    {
      scenario,
      subject: `Portcullis, peak RSS with ${count} tokens stored, over both loads (empty store: ${empty.peakRssMb} MB)`,
      ratioText: `${loaded.peakRssMb} MB`,
      ratios: { rssMb: loaded.peakRssMb, emptyRssMb: empty.peakRssMb, storeSizeMb: figures.storeSizeMb, loadSeconds: figures.loadSeconds },
      bar: `RSS < ${MEMORY_BAR_MB} MB with 1M tokens`,
      status: loaded.peakRssMb < MEMORY_BAR_MB ? 'pass' : 'miss',
      note: join(quickNote, `store ${figures.storeSizeMb} MB on disk, loaded in ${figures.loadSeconds} s`),
    },
  ];
}

/**
 * The scale scenario of `npm run bench`: runScaleBench on SQLite with one million live tokens
 * (100,000 with --quick), each load the run's per-round duration at the run's connections.
 */
export const scaleScenario: Scenario = {
  id: 'scale',
  title: 'One million live tokens stored',
  async run(ctx) {
    const { quick, connections } = ctx.settings;
    const tokens = quick ? SCALE_TOKENS.quick : SCALE_TOKENS.full;
    const duration = Math.max(1, Math.round(ctx.settings.duration / ctx.settings.rounds));
    ctx.log(`  scale: SQLite, ${tokens.toLocaleString('en')} tokens, ${duration} s per load, c=${connections}`);
    const figures = await runScaleBench({ store: 'sqlite', tokens, duration, connections });
    ctx.log(
      `  scale: loaded in ${figures.loadSeconds} s; peak RSS ${figures.empty.peakRssMb} MB empty, ${figures.loaded.peakRssMb} MB loaded; ` +
        `issue ${figures.empty.issuePerSecond} → ${figures.loaded.issuePerSecond}/s, introspect ${figures.empty.introspectPerSecond} → ${figures.loaded.introspectPerSecond}/s`,
    );
    return scaleRows(figures, { duration, connections, quick });
  },
};

function printFigures(figures: ScaleFigures): void {
  const row = (label: string, phase: PhaseFigures) =>
    `| ${figures.store} | ${label} | ${phase.issuePerSecond} | ${phase.issueP99Ms} | ${phase.introspectPerSecond} | ${phase.introspectP99Ms} | ${phase.rssMb} | ${phase.peakRssMb} | ${phase.errors} |`;
  process.stdout.write(
    [
      `\n${figures.store}: loaded ${figures.tokens} tokens in ${figures.loadSeconds} s; store size ${figures.storeSizeMb} MB; ` +
        `one purge batch with nothing due: ${figures.purgeScanMs} ms; ` +
        `machine load average ${figures.loadAverage.map((n) => n.toFixed(1)).join(' / ')} (2 cores)`,
      '| store | stored tokens | issue/s | issue p99 ms | introspect/s | introspect p99 ms | RSS MB | peak RSS MB | errors |',
      '|---|---|---|---|---|---|---|---|---|',
      row('0', figures.empty),
      row(String(figures.tokens), figures.loaded),
      '',
    ].join('\n'),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      store: { type: 'string', default: 'sqlite' },
      tokens: { type: 'string', default: '1000000' },
      duration: { type: 'string', default: '5' },
      connections: { type: 'string', default: '16' },
    },
  });
  const stores = values.store === 'both' ? (['sqlite', 'postgres'] as const) : [values.store as 'sqlite' | 'postgres'];
  const all: ScaleFigures[] = [];
  for (const kind of stores) {
    const figures = await runScaleBench({
      store: kind,
      tokens: Number(values.tokens),
      duration: Number(values.duration),
      connections: Number(values.connections),
      postgresUrl: process.env.PORTCULLIS_BENCH_PG,
    });
    printFigures(figures);
    all.push(figures);
  }
  process.stdout.write(`${JSON.stringify(all)}\n`);
}
