import { type ChildProcess, spawn, spawnSync, type SpawnSyncOptionsWithStringEncoding, type SpawnSyncReturns } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'portcullis.mjs');

/** How long a spawned process may take to get ready, to finish a command, or to exit after SIGTERM. */
export const PROCESS_DEADLINE_MS = 30_000;

/** The end of what a process wrote, for an error message. */
export function tail(text: string, chars = 4_000): string {
  return text.length <= chars ? text : `…${text.slice(-chars)}`;
}

// A test that fails or hangs may leave its children running; they die with the test process, also
// when the runner ends a file that timed out (with SIGTERM, which otherwise skips 'exit' handlers).
const running = new Set<ChildProcess>();
const killChildren = () => {
  for (const child of running) child.kill('SIGKILL');
};
process.once('exit', killChildren);
process.once('SIGTERM', () => {
  killChildren();
  process.kill(process.pid, 'SIGTERM');
});

/**
 * Watches a spawned process: keeps the end of its stdout and stderr, and kills it (SIGKILL) if it
 * is still running when this process exits.
 */
export class WatchedProcess {
  stdout = '';
  stderr = '';
  /** Settles when the process has exited, with its code (null when a signal ended it). */
  readonly exited: Promise<number | null>;

  constructor(
    readonly child: ChildProcess,
    readonly name: string,
    /** How many characters of each stream to keep (all by default). */
    private readonly keep = Number.POSITIVE_INFINITY,
  ) {
    running.add(child);
    // 'close', not 'exit': by then all it wrote has been read.
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        running.delete(child);
        resolve(code);
      }),
    );
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout = (this.stdout + chunk.toString()).slice(-this.keep)));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-this.keep)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** An error naming the process and what went wrong, ending with the tails of its stderr and stdout. */
  failure(problem: string): Error {
    return new Error(`${this.name}: ${problem}\n--- stderr ends:\n${tail(this.stderr)}\n--- stdout ends:\n${tail(this.stdout, 2_000)}`);
  }

  /**
   * Resolves once `ready` does. Fails, having killed the process, if it exits first or if `ready`
   * has not resolved within `ms`; `ready` is given a signal that is aborted then, to stop its polling.
   */
  async until<T>(what: string, ready: (signal: AbortSignal) => Promise<T>, ms = PROCESS_DEADLINE_MS): Promise<T> {
    const stop = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.failure(`${what} did not happen within ${ms / 1000} s`)), ms);
    });
    const gone = this.exited.then((code) => {
      throw this.failure(`exited (${this.child.signalCode ?? `code ${code}`}) before ${what}`);
    });
    try {
      return await Promise.race([ready(stop.signal), late, gone]);
    } catch (error) {
      stop.abort();
      // A process that never started (spawn failed) has nothing to kill and never closes.
      if (this.child.pid !== undefined) {
        if (this.running) this.child.kill('SIGKILL');
        await this.exited;
      }
      throw error;
    } finally {
      clearTimeout(timer);
      gone.catch(() => undefined);
    }
  }

  /** The exit code, once it exits by itself; past `ms`, SIGKILL and a failure. */
  finish(ms = PROCESS_DEADLINE_MS): Promise<number | null> {
    return this.exitWithin(ms, `did not finish within ${ms / 1000} s; killed`);
  }

  /** SIGTERM, then the exit code; past `ms`, SIGKILL and a failure (a server that ignores SIGTERM is a bug). */
  stop(ms = PROCESS_DEADLINE_MS): Promise<number | null> {
    if (!this.running) return this.exited;
    this.child.kill('SIGTERM');
    return this.exitWithin(ms, `did not exit within ${ms / 1000} s of SIGTERM; killed`);
  }

  private async exitWithin(ms: number, problem: string): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    const outcome = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (outcome !== 'late') return outcome;
    this.child.kill('SIGKILL');
    await this.exited;
    throw this.failure(problem);
  }
}

/**
 * `spawnSync` with a deadline. It blocks the event loop, so no test timeout can interrupt it: past
 * 30 s the command is killed and this throws, with the end of its stderr.
 */
export function spawnSyncBounded(command: string, args: string[], options: SpawnSyncOptionsWithStringEncoding): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { timeout: PROCESS_DEADLINE_MS, killSignal: 'SIGKILL', ...options });
  if (result.error) {
    throw new Error(`${[command, ...args].join(' ')}: ${result.error.message}\n--- stderr ends:\n${tail(result.stderr ?? '')}`);
  }
  return result;
}

/** A port that was free a moment ago (the server binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface ServerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote, for diagnostics when it fails to start. */
  output(): string;
  /** SIGKILL: no shutdown code runs at all. */
  kill9(): Promise<void>;
  /** SIGTERM, then waits for the exit code (fails if the process has not exited within 30 s). */
  stop(): Promise<number | null>;
}

/**
 * Starts `node bin/portcullis.mjs serve` as its own process and resolves once it answers
 * `/healthz`. `env` carries the store (PORTCULLIS_DB or PORTCULLIS_DATABASE_URL). Fails, with the
 * end of its stderr, if it exits first or does not answer within 30 s.
 */
export async function startServerProcess(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(listenPort), '--host', '127.0.0.1'], {
    env: {
      ...process.env,
      PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests',
      PORTCULLIS_LOG_LEVEL: 'warn',
      PORTCULLIS_CONFIG: '/dev/null',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const watched = new WatchedProcess(child, `portcullis serve on port ${listenPort}`, 20_000);
  let text = '';
  // Keep only the tail of what it writes, stdout and stderr interleaved, for output().
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  // Ready when it answers /healthz (it listens only after migrations and first-run setup).
  await watched.until('answering /healthz', async (signal) => {
    while (!signal.aborted) {
      try {
        if ((await fetch(`http://127.0.0.1:${listenPort}/healthz`, { signal: AbortSignal.any([signal, AbortSignal.timeout(2_000)]) })).ok) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  return {
    url: `http://127.0.0.1:${listenPort}`,
    port: listenPort,
    child,
    output: () => text,
    async kill9() {
      child.kill('SIGKILL');
      await watched.exited;
    },
    stop: () => watched.stop(),
  };
}
