import { mkdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { combine, type Measurement, measureHttp } from './lib/load.ts';
import { describeMachine, endLoadAverage } from './lib/machine.ts';
import { type Report, resultsMarkdown, writeReports } from './lib/report.ts';
import { spawnTarget, type TargetProcess } from './lib/spawn.ts';
import { scenarios } from './registry.ts';
import type { BenchContext, BenchSettings, Row } from './scenario.ts';

const USAGE = `npm run bench [-- options]
  --quick              short loads (whole run under two minutes); default is the full run (under ten)
  --only ids           run only these scenarios (comma-separated: password,refresh,client-credentials,introspection,gateway,scale,memory)
  --connections N      connections per load (default 32, as docs/benchmarks.md sets for the password grant)
  --duration S         measured seconds per contender (default 15, quick 3)
  --rounds N           interleaved rounds each comparison is split into (default 3, quick 1)
  --warmup S           warm-up seconds per load (default 3, quick 1)
  --profile DIR        run Portcullis under --cpu-prof, writing .cpuprofile files to DIR
  --out DIR            where benchmarks.md and benchmarks.json go (default docs; runs with --only
                       or --profile write nothing unless --out is given)`;

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick ?? false;
  // Every server and the raw bound get the same thread pool: by default the size `portcullis serve`
  // picks for this machine (bin/portcullis.mjs), or the one given to the runner.
  const targetEnv: Record<string, string> = {
    UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? String(Math.max(2, availableParallelism())),
  };
  const settings: BenchSettings = {
    quick,
    connections: Number(values.connections ?? 32),
    duration: Number(values.duration ?? (quick ? 3 : 15)),
    warmup: Number(values.warmup ?? (quick ? 1 : 3)),
    rounds: Number(values.rounds ?? (quick ? 1 : 3)),
    targetEnv,
    portcullisNodeArgs: [],
  };
  if (values.profile) {
    const dir = resolve(values.profile);
    mkdirSync(dir, { recursive: true });
    settings.portcullisNodeArgs = ['--cpu-prof', `--cpu-prof-dir=${dir}`];
  }
  const only = values.only?.split(',').map((id) => id.trim());
  const outDir = values.out ?? (only || values.profile ? undefined : 'docs');

  const machine = describeMachine();
  const started = performance.now();
  const targets = new Map<string, Promise<TargetProcess>>();
  const peaks = new Map<string, number>();
  const log = (message: string) => console.error(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}`);

  const ctx: BenchContext = {
    settings,
    target(name, options = {}) {
      let target = targets.get(name);
      if (!target) {
        log(`starting ${name}`);
        // Portcullis's own serve process gets the profiler flags (bench/targets/portcullis.ts).
        target = spawnTarget(name, name === 'portcullis' ? { ...options, nodeArgs: settings.portcullisNodeArgs } : options, {
          env: settings.targetEnv,
        });
        targets.set(name, target);
      }
      return target;
    },
    async measure(target, load) {
      const measurement = await measureHttp(
        {
          connections: settings.connections,
          duration: settings.duration,
          warmup: settings.warmup,
          ...load,
          url: target.url,
        },
        target,
      );
      if (measurement.peakRss !== undefined) peaks.set(target.name, Math.max(peaks.get(target.name) ?? 0, measurement.peakRss));
      if (measurement.failures > 0) log(`  ${target.name}: ${measurement.failures} failed requests`);
      log(
        `  ${target.name}: ${measurement.throughput.toFixed(0)} req/s, p50 ${measurement.p50.toFixed(2)} ms, ` +
          `p99 ${measurement.p99.toFixed(2)} ms, ${measurement.cpuPerRequestUs?.toFixed(0)} µs CPU/req`,
      );
      return measurement;
    },
    async interleave(contenders) {
      const parts: Measurement[][] = contenders.map(() => []);
      const duration = settings.duration / settings.rounds;
      for (let round = 0; round < settings.rounds; round++) {
        for (const [index, contender] of contenders.entries()) {
          log(`  round ${round + 1}/${settings.rounds}: ${contender.label}`);
          parts[index]!.push(await contender.measure({ duration, warmup: round === 0 ? settings.warmup : 0 }));
        }
      }
      return parts.map(combine);
    },
    peakRss: (name) => peaks.get(name),
    log,
  };

  const rows: Row[] = [];
  try {
    for (const scenario of await scenarios(only)) {
      log(`scenario ${scenario.id}`);
      try {
        rows.push(...(await scenario.run(ctx)));
      } catch (error) {
        log(`scenario ${scenario.id} failed: ${(error as Error).stack ?? String(error)}`);
        rows.push({ scenario: scenario.title, subject: '', status: 'failed', note: (error as Error).message });
      }
    }
  } finally {
    const infos: Record<string, unknown> = {};
    for (const [name, target] of targets) {
      const started = await target.catch(() => undefined);
      if (started) {
        infos[name] = (started.info as { settings?: unknown }).settings ?? {};
        await started.stop();
      }
    }
    endLoadAverage(machine);
    const report: Report = {
      generatedAt: new Date().toISOString(),
      command: `${process.env.UV_THREADPOOL_SIZE ? `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE} ` : ''}npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`,
      machine,
      settings,
      targets: infos,
      rows,
      durationSeconds: (performance.now() - started) / 1000,
    };
    console.log(resultsMarkdown(report));
    if (outDir) {
      writeReports(report, join(outDir, 'benchmarks.md'), join(outDir, 'benchmarks.json'));
      log(`wrote ${join(outDir, 'benchmarks.md')} and ${join(outDir, 'benchmarks.json')}`);
    }
  }
  if (rows.some((row) => row.status === 'failed')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
