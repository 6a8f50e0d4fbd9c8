import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row, Scenario } from './scenario.ts';
import { authorizationCodeScenario } from './scenarios/authorization-code.ts';
import { clientCredentialsScenario } from './scenarios/client-credentials.ts';
import { clientCredentialsJwtScenario } from './scenarios/client-credentials-jwt.ts';
import { introspectionScenario } from './scenarios/introspection.ts';
import { memoryScenario } from './scenarios/memory.ts';
import { passwordScenario } from './scenarios/password.ts';
import { refreshScenario } from './scenarios/refresh.ts';

const HERE = dirname(fileURLToPath(import.meta.url));

/**
 * A scenario that lives in its own file and lands with another issue. Until the file exists (or
 * while it exports no `Scenario`), the run prints a `pending` row for it, so that the table always
 * lists every docs/benchmarks.md bar.
 */
interface PluggedScenario {
  file: string;
  /** Names the module may export its `Scenario` under. */
  exports: string[];
  pending: Row;
}

// ─── Scenario registry ────────────────────────────────────────────────────────────────────────
// Built-in scenarios run in this order; memory comes last because it reports the peak seen
// during the others. Plug-ins run before memory (both export their Scenario now; the pending rows
// below only show if a file is missing):
//   - bench/gateway.ts (issue 3): resource server call vs its upstream called directly, added
//     p50/p99 latency. Export `gatewayScenario: Scenario` (see bench/scenario.ts); it may use
//     ctx.target('portcullis') or start its own processes, and lib/load.ts's measureHttp, which
//     records exact (sub-millisecond) latencies.
//   - bench/scale.ts (issue 5): one million live tokens stored; issue and introspection
//     throughput and resident memory against an empty store. Export `scaleScenario: Scenario`.
//   - bench/workers.ts: `serve --workers N`, CPU per request with 2 workers against 1. Export
//     `workersScenario: Scenario`.
//   - bench/postgres.ts (issue 16): client credentials, refresh and introspection on PostgreSQL,
//     one instance and two on one database. Exports `postgresScenario: Scenario`.
const BUILT_IN: Scenario[] = [
  passwordScenario,
  refreshScenario,
  clientCredentialsScenario,
  clientCredentialsJwtScenario,
  authorizationCodeScenario,
  introspectionScenario,
];

const PLUGGED: PluggedScenario[] = [
  {
    file: 'gateway.ts',
    exports: ['gatewayScenario', 'scenario'],
    pending: {
      scenario: 'Resource server: added latency over calling the upstream directly',
      subject: 'Portcullis gateway',
      bar: 'added p99 < 1 ms',
      status: 'pending',
      note: 'comes from the gateway scenario (bench/gateway.ts, issue 3) once merged',
    },
  },
  {
    file: 'scale.ts',
    exports: ['scaleScenario', 'scenario'],
    pending: {
      scenario: 'One million live tokens stored',
      subject: 'Portcullis, SQLite',
      bar: 'RSS < 200 MB with 1M tokens',
      status: 'pending',
      note: 'comes from the scale scenario (bench/scale.ts, issue 5) once merged',
    },
  },
  {
    file: 'workers.ts',
    exports: ['workersScenario'],
    pending: {
      scenario: 'Several cores: portcullis serve --workers 2 against one worker',
      subject: 'Portcullis, CPU µs per request with 2 workers against 1',
      bar: '≤ 1.10× one worker\'s CPU per request',
      status: 'pending',
      note: 'comes from the workers scenario (bench/workers.ts, issue 16) once merged',
    },
  },
  {
    file: 'postgres.ts',
    exports: ['postgresScenario', 'scenario'],
    pending: {
      scenario: 'PostgreSQL: one and two instances',
      subject: 'Portcullis, PostgreSQL',
      bar: '≥ 2× / 3× the PostgreSQL baseline; two instances ≥ 1.6× one',
      status: 'pending',
      note: 'comes from the PostgreSQL scenario (bench/postgres.ts, issue 16)',
    },
  },
];

function isScenario(value: unknown): value is Scenario {
  return typeof value === 'object' && value !== null && typeof (value as Scenario).run === 'function' && typeof (value as Scenario).id === 'string';
}

async function loadPlugged(plugged: PluggedScenario): Promise<Scenario> {
  const path = join(HERE, plugged.file);
  const pendingScenario: Scenario = { id: plugged.file.replace(/\.ts$/, ''), title: plugged.pending.scenario, run: async () => [plugged.pending] };
  if (!existsSync(path)) return pendingScenario;
  const module = (await import(path)) as Record<string, unknown>;
  const found = plugged.exports.map((name) => module[name]).find(isScenario);
  if (found) return found;
  return { ...pendingScenario, run: async () => [{ ...plugged.pending, note: `bench/${plugged.file} exports no Scenario yet; wire it in bench/registry.ts` }] };
}

/** Every scenario of a full run, in order. `only` keeps those whose id is listed. */
export async function scenarios(only?: string[]): Promise<Scenario[]> {
  const all = [...BUILT_IN, ...(await Promise.all(PLUGGED.map(loadPlugged))), memoryScenario];
  return only && only.length > 0 ? all.filter((scenario) => only.includes(scenario.id)) : all;
}
