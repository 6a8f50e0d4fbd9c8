import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchSettings, Row } from '../scenario.ts';
import type { Machine } from './machine.ts';

export interface Report {
  generatedAt: string;
  command: string;
  machine: Machine;
  settings: BenchSettings;
  /** What each target ran with, so anyone can re-run it. */
  targets: Record<string, unknown>;
  rows: Row[];
  durationSeconds: number;
}

const BEGIN = '<!-- bench:results:begin (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:results:end -->';

const STATUS: Record<Row['status'], string> = {
  pass: '**pass**',
  miss: '**MISS**',
  bound: 'bound',
  peer: 'peer',
  measured: 'measured',
  pending: 'pending',
  failed: '**FAILED**',
};

function num(value: number | undefined, digits = 0): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Milliseconds as the table prints them: three significant figures or so. */
export function ms(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '–';
  return value < 10 ? num(value, 2) : value < 100 ? num(value, 1) : num(value, 0);
}

export function resultsMarkdown(report: Report): string {
  const { machine, settings } = report;
  const lines = [
    `Run ${report.generatedAt} with \`${report.command}\` (${report.durationSeconds.toFixed(0)} s in all).`,
    '',
    `Machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGb} GB, ${machine.os}, Node ${machine.node}; ` +
      `1-minute load average ${machine.loadAverage.start} at the start and ${machine.loadAverage.end ?? '?'} at the end.`,
    `Every load: ${settings.connections} connections (the password grant ${settings.passwordConnections}), closed loop (autocannon, one request in flight per connection), ` +
      `${settings.warmup} s warm-up then ${settings.duration} s measured per server, in ${settings.rounds} round(s) taken in turns ` +
      '(peers, Portcullis, peers, Portcullis, …); each server in its own process (the peers and bounds plain `node`, no loader), the load generator (autocannon) in the runner. ' +
      'CPU µs/req is the server process\'s CPU time (all threads) per successful request during the measured window: ' +
      'on a shared machine it is steadier than req/s, and it is what the analysis compares.',
    '',
    '| Scenario | Server | req/s | p50 ms | p99 ms | p99.9 ms | Ratio | Bar | Result | CPU µs/req |',
    '|---|---|--:|--:|--:|--:|---|---|---|--:|',
  ];
  for (const row of report.rows) {
    const m = row.measurement;
    const failures = m && m.failures > 0 ? ` (${m.failures} failed requests)` : '';
    const note = row.note ? ` — ${row.note}` : '';
    lines.push(
      `| ${row.scenario} | ${row.subject}${failures} | ${num(m?.throughput)} | ${ms(m?.p50)} | ${ms(m?.p99)} | ${ms(m?.p999)} | ${row.ratioText ?? ''} | ${row.bar ?? ''} | ${STATUS[row.status]}${note} | ${num(m?.cpuPerRequestUs)} |`,
    );
  }
  lines.push('', 'Settings each server ran with (also in benchmarks.json):', '');
  for (const [name, targetSettings] of Object.entries(report.targets)) {
    lines.push(`- \`${name}\`: \`${JSON.stringify(targetSettings)}\``);
  }
  return lines.join('\n');
}

/** Writes the JSON report, and the results section of the Markdown one, keeping any text around it. */
export function writeReports(report: Report, markdownPath: string, jsonPath: string): void {
  mkdirSync(dirname(markdownPath), { recursive: true });
  writeFileSync(jsonPath, `${JSON.stringify(report, (key, value: unknown) => (key === 'samples' ? undefined : value), 2)}\n`);
  const section = `${BEGIN}\n${resultsMarkdown(report)}\n${END}`;
  const previous = existsSync(markdownPath) ? readFileSync(markdownPath, 'utf8') : '';
  const start = previous.indexOf(BEGIN);
  const end = previous.indexOf(END);
  const text =
    start >= 0 && end > start
      ? `${previous.slice(0, start)}${section}${previous.slice(end + END.length)}`
      : `# Benchmarks\n\n${section}\n`;
  writeFileSync(markdownPath, text);
}
