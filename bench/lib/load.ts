import autocannon from 'autocannon';

export interface LoadRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Requests per second across all connections; unset, each connection sends as fast as answers come (closed loop). */
  overallRate?: number;
  /** Measured seconds. */
  duration: number;
  /** Unmeasured seconds first, so that JIT, caches and pools are warm. */
  warmup: number;
  request: LoadRequest;
  /**
   * Bodies to cycle through, each request built once in advance (autocannon's cheap path): for
   * requests that must differ but not depend on earlier answers (introspecting many tokens).
   */
  bodies?: string[];
  /** Builds each request's body from the state of the run (rotating refresh tokens); costs the load generator more. */
  nextBody?: () => string;
  /** Sees every response body, for scenarios that chain requests; `false` counts the answer as a failure. */
  onBody?: (status: number, body: string) => boolean | void;
}

/** One measured load run: successful responses per second and their latency percentiles. */
export interface Measurement {
  /** 2xx responses per second over the measured window. */
  throughput: number;
  /** Milliseconds. */
  p50: number;
  p99: number;
  p999: number;
  /** Successful responses counted. */
  count: number;
  /** Non-2xx responses, socket errors and timeouts: any is a broken run. */
  failures: number;
  seconds: number;
  connections: number;
  /** Peak resident memory of the server while measured, when sampled. */
  peakRss?: number;
  /**
   * Server CPU time (all its threads) per successful request, in microseconds: steadier than
   * req/s on a shared machine, and what the analysis compares.
   */
  cpuPerRequestUs?: number;
  /** The part of `cpuPerRequestUs` spent on the server's main thread (its event loop), when the probe reads it. */
  eventLoopCpuPerRequestUs?: number;
  /** The load generator's (runner's) CPU time per successful request: near 1e6 / req/s, it was the limit. */
  generatorCpuPerRequestUs?: number;
  /** Every latency, ascending; kept to merge rounds, left out of the JSON report. */
  samples?: number[];
}

/**
 * Merges measurements of the same thing taken in several rounds (interleaved with its bound, so
 * that both see the same drift of a shared machine) into one.
 */
export function combine(parts: Measurement[]): Measurement {
  if (parts.length === 1) return parts[0]!;
  const samples = parts.flatMap((part) => part.samples ?? []).sort((a, b) => a - b);
  const count = parts.reduce((sum, part) => sum + part.count, 0);
  const seconds = parts.reduce((sum, part) => sum + part.seconds, 0);
  const cpuParts = parts.filter((part) => part.cpuPerRequestUs !== undefined);
  const rssParts = parts.filter((part) => part.peakRss !== undefined);
  return {
    throughput: count / seconds,
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    p999: percentile(samples, 99.9),
    count,
    failures: parts.reduce((sum, part) => sum + part.failures, 0),
    seconds,
    connections: parts[0]!.connections,
    ...(rssParts.length > 0 ? { peakRss: Math.max(...rssParts.map((part) => part.peakRss!)) } : {}),
    ...(cpuParts.length > 0
      ? { cpuPerRequestUs: cpuParts.reduce((sum, part) => sum + part.cpuPerRequestUs! * part.count, 0) / Math.max(1, count) }
      : {}),
    ...(parts.every((part) => part.generatorCpuPerRequestUs !== undefined)
      ? { generatorCpuPerRequestUs: parts.reduce((sum, part) => sum + part.generatorCpuPerRequestUs! * part.count, 0) / Math.max(1, count) }
      : {}),
    samples,
  };
}

/**
 * A measurement from latencies taken elsewhere (the raw argon2id bound times its own calls):
 * `cpuUs` is the process's CPU time over the window.
 */
export function fromSamples(raw: { count: number; elapsed: number; cpuUs: number; rss: number; samples: number[] }, connections: number): Measurement {
  const sorted = Float64Array.from(raw.samples).sort();
  return {
    throughput: raw.count / raw.elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    count: raw.count,
    failures: 0,
    seconds: raw.elapsed,
    connections,
    peakRss: raw.rss,
    cpuPerRequestUs: raw.cpuUs / Math.max(1, raw.count),
    samples: Array.from(sorted),
  };
}

/** Readings taken from the server process around the measured window. */
export interface ServerProbe {
  rss(): Promise<number>;
  cpu(): Promise<number>;
  /** CPU time (µs) of the server's main thread alone, its event loop, where the process can tell. */
  eventLoopCpu?(): Promise<number>;
}

/** Percentile of an ascending array, nearest-rank. */
export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  // The epsilon keeps 99.9 % of 1,000 at rank 999: in floating point it is 999.0000000000001.
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length - 1e-9) - 1));
  return sorted[rank]!;
}

/** A growable list of latencies, sorted once at the end. */
export class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  length = 0;
  record(ms: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = ms;
  }
  sorted(): Float64Array {
    return this.values.subarray(0, this.length).sort();
  }
}

async function drive(options: LoadOptions, seconds: number, recorder?: LatencyRecorder): Promise<{ failures: number; elapsed: number }> {
  const { request } = options;
  const dynamic = options.nextBody !== undefined || options.onBody !== undefined;
  let rejected = 0;
  const started = process.hrtime.bigint();
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    duration: seconds,
    timeout: 30,
    ...(options.overallRate !== undefined ? { overallRate: options.overallRate } : {}),
    requests: (options.bodies ?? [request.body]).map((body) => ({
        method: request.method ?? 'POST',
        path: request.path,
        headers: request.headers,
        body,
        ...(dynamic
          ? {
              setupRequest: options.nextBody ? (raw) => ({ ...raw, body: options.nextBody!() }) : undefined,
              onResponse: options.onBody
                ? (status, body) => {
                    if (options.onBody!(status, body) === false) rejected++;
                  }
                : undefined,
            }
          : {}),
      })),
  });
  if (recorder) {
    // Autocannon's own histogram keeps whole milliseconds; these are the exact hrtime durations.
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) recorder.record(ms);
    });
  }
  const result = await instance;
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  return { failures: result.non2xx + result.errors + result.timeouts + rejected, elapsed };
}

/**
 * Waits until the server has finished the requests a stopped load left behind: autocannon closes
 * its connections at the end of a run, but the server still completes what it had accepted (32
 * argon2id verifications are a third of a second of the whole machine). Without this, a measured
 * window would start by paying for the warm-up's, or the previous round's, last requests.
 */
async function waitIdle(probe: ServerProbe): Promise<void> {
  const deadline = Date.now() + 30_000;
  let before = await probe.cpu();
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = await probe.cpu();
    // Under 5% of a core over 100 ms: nothing left to do.
    if (now - before < 5_000) return;
    before = now;
  }
}

/**
 * Warms the server up, then measures it for `duration` seconds at a fixed number of connections
 * (a closed loop: each connection sends its next request when the previous one is answered).
 * `sampleRss` is polled during the measured window.
 */
export async function measureHttp(options: LoadOptions, probe?: ServerProbe): Promise<Measurement> {
  if (options.warmup > 0) await drive(options, options.warmup);
  if (probe) await waitIdle(probe);
  const recorder = new LatencyRecorder();
  let peakRss = 0;
  let sampling = true;
  const cpuBefore = await probe?.cpu();
  const loopBefore = await probe?.eventLoopCpu?.();
  const sampler = (async () => {
    while (probe && sampling) {
      peakRss = Math.max(peakRss, await probe.rss());
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  const generatorBefore = process.cpuUsage();
  const { failures, elapsed } = await drive(options, options.duration, recorder);
  const generator = process.cpuUsage(generatorBefore);
  sampling = false;
  await sampler;
  const cpuAfter = await probe?.cpu();
  const loopAfter = await probe?.eventLoopCpu?.();
  // And the next contender starts on a machine this one no longer loads.
  if (probe) await waitIdle(probe);
  const sorted = recorder.sorted();
  return {
    throughput: sorted.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    p999: percentile(sorted, 99.9),
    count: sorted.length,
    failures,
    seconds: elapsed,
    connections: options.connections,
    ...(probe ? { peakRss, cpuPerRequestUs: (cpuAfter! - cpuBefore!) / Math.max(1, sorted.length) } : {}),
    ...(loopBefore !== undefined ? { eventLoopCpuPerRequestUs: (loopAfter! - loopBefore) / Math.max(1, sorted.length) } : {}),
    generatorCpuPerRequestUs: (generator.user + generator.system) / Math.max(1, sorted.length),
    samples: Array.from(sorted),
  };
}
