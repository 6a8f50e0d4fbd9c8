import type { LoadOptions, Measurement } from './lib/load.ts';
import type { TargetProcess } from './lib/spawn.ts';

/** How long and how hard each measurement runs; set once per run by bench/run.ts. */
export interface BenchSettings {
  quick: boolean;
  /** Measured seconds per load run. */
  duration: number;
  /** Unmeasured warm-up seconds before each load run. */
  warmup: number;
  /**
   * Each comparison is measured in this many rounds, the bound and the contenders taking turns
   * (bound, ours, peers, bound, ours, peers, …), so that drift in a shared machine's load hits all alike.
   */
  rounds: number;
  /** Concurrent connections (closed loop) of every scenario but the password grant's (docs/benchmarks.md: 16). */
  connections: number;
  /** Concurrent connections of the password grant, whose bar docs/benchmarks.md sets at 32. */
  passwordConnections: number;
  /** Environment given to every target process (the same for the bounds, Portcullis and the peers). */
  targetEnv: Record<string, string>;
  /** Extra Node flags for the Portcullis process only (e.g. --cpu-prof). */
  portcullisNodeArgs: string[];
  /** Extra Node flags for the peers' and bounds' processes (none in a run: `--peer-node-args` exists to measure a loader's cost). */
  peerNodeArgs: string[];
}

/** What a scenario gets from the runner. */
export interface BenchContext {
  settings: BenchSettings;
  /**
   * A target process, started on first use and shared by every scenario of the run (stopped at the
   * end). Portcullis is one instance for the whole run, so its memory is measured across all loads.
   */
  target(name: string, options?: Record<string, unknown>): Promise<TargetProcess>;
  /**
   * Warms up and measures HTTP load on a target with the run's connections and durations (any of
   * which `load` may override), sampling the target's resident memory while measured.
   */
  measure(target: TargetProcess, load: MeasureOptions): Promise<Measurement>;
  /**
   * Measures several contenders in `settings.rounds` interleaved rounds of `duration / rounds`
   * seconds each (warm-up in the first round only) and returns each one's combined measurement,
   * in the order given.
   */
  interleave(contenders: Contender[]): Promise<Measurement[]>;
  /** The highest resident memory of a target seen during any measured window so far, in bytes. */
  peakRss(name: string): number | undefined;
  log(message: string): void;
}

/** `measured`: a figure shown for context, compared against no bar (e.g. throughput with a million tokens stored). */
export type RowStatus = 'pass' | 'miss' | 'bound' | 'peer' | 'measured' | 'pending' | 'failed';

/** One side of a comparison: how to measure it for `duration` seconds after `warmup` seconds. */
export interface Contender {
  label: string;
  measure(window: { duration: number; warmup: number }): Promise<Measurement>;
}

export type MeasureOptions = Omit<LoadOptions, 'url' | 'connections' | 'duration' | 'warmup'> &
  Partial<Pick<LoadOptions, 'connections' | 'duration' | 'warmup'>>;

/** One line of the results table. */
export interface Row {
  /** The scenario heading, e.g. "Password grant, c=32". */
  scenario: string;
  /** What was measured: "Portcullis", a peer's name, or the bound's description. */
  subject: string;
  measurement?: Measurement;
  /** Ratios to the scenario's references, as text ("1.52× oidc-provider's req/s"), with the numbers in `ratios`. */
  ratioText?: string;
  ratios?: Record<string, number>;
  /** The docs/benchmarks.md bar, as text. */
  bar?: string;
  status: RowStatus;
  note?: string;
}

/**
 * A benchmark scenario: measures a subject against its bound (and the peers) in the current run
 * and returns its table rows. Scenarios are listed in bench/registry.ts.
 */
export interface Scenario {
  id: string;
  title: string;
  run(ctx: BenchContext): Promise<Row[]>;
}
