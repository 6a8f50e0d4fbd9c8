// Preloaded into `portcullis serve` by `npm run bench:probe -- --latency` (node --import): where the
// event loop's milliseconds go under load. Records
//   - the event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution): how long a ready
//     callback waited, the tail every request in flight pays;
//   - every garbage-collection pause (PerformanceObserver 'gc'), by kind;
//   - every synchronous SQLite call that took a millisecond or more (better-sqlite3's Statement
//     run/get/all and Database exec/pragma, timed around the native call): COMMIT, a checkpoint,
//     a purge batch, with its SQL.
// On SIGUSR2 it writes what it saw since the last signal to $PORTCULLIS_LATENCY_REPORT (JSON) and starts over.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { constants, monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';

const reportFile = process.env.PORTCULLIS_LATENCY_REPORT;
const SLOW_MS = 1;

const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

let loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
let gc = [];
let slow = new Map();

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gc.push({ kind: GC_KINDS[entry.detail?.kind] ?? String(entry.detail?.kind), ms: entry.duration });
}).observe({ entryTypes: ['gc'] });

function noteSlow(sql, ms) {
  const key = sql.replace(/\s+/g, ' ').trim().slice(0, 120);
  const seen = slow.get(key) ?? { count: 0, totalMs: 0, maxMs: 0 };
  seen.count++;
  seen.totalMs += ms;
  seen.maxMs = Math.max(seen.maxMs, ms);
  slow.set(key, seen);
}

function timed(prototype, method, sqlOf) {
  const original = prototype[method];
  prototype[method] = function (...args) {
    const start = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const ms = performance.now() - start;
      if (ms >= SLOW_MS) noteSlow(sqlOf(this, args), ms);
    }
  };
}

// The server's own copy of better-sqlite3 (the bundle keeps it external), resolved from the repository.
const Database = createRequire(new URL('../package.json', import.meta.url))('better-sqlite3');
const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
probe.close();
for (const method of ['run', 'get', 'all']) timed(Statement, method, (statement) => statement.source);
timed(Database.prototype, 'exec', (_db, [sql]) => String(sql));
timed(Database.prototype, 'pragma', (_db, [sql]) => `PRAGMA ${sql}`);

const ms = (ns) => Math.round(ns / 1e4) / 100;

process.on('SIGUSR2', () => {
  const gcTotal = gc.reduce((sum, pause) => sum + pause.ms, 0);
  const byKind = {};
  for (const pause of gc) {
    const kind = (byKind[pause.kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
    kind.count++;
    kind.totalMs += pause.ms;
    kind.maxMs = Math.max(kind.maxMs, pause.ms);
  }
  const report = {
    loopDelayMs: {
      p50: ms(loop.percentile(50)),
      p99: ms(loop.percentile(99)),
      p999: ms(loop.percentile(99.9)),
      max: ms(loop.max),
      mean: ms(loop.mean),
      samples: loop.count,
    },
    gc: { count: gc.length, totalMs: gcTotal, byKind },
    slowSqlite: [...slow.entries()].map(([sql, seen]) => ({ sql, ...seen })).sort((a, b) => b.totalMs - a.totalMs),
  };
  if (reportFile) writeFileSync(reportFile, JSON.stringify(report));
  loop.disable();
  loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  gc = [];
  slow = new Map();
});
