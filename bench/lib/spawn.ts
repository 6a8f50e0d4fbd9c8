import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { countTokens, type PortcullisInfo, seedCodes, startPortcullis } from '../targets/portcullis.ts';
import { processCpu, processRss, stopProcess } from './processes.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TARGETS = join(ROOT, 'bench', 'targets');

/** A server (or bound) under measurement, in a process of its own. */
export interface TargetProcess {
  name: string;
  /** The process measured: its CPU and memory are read from /proc. */
  pid: number;
  port: number | undefined;
  url: string;
  info: Record<string, unknown>;
  /** Resident set size of the process, in bytes. */
  rss(): Promise<number>;
  /** CPU time the process has used so far (all its threads), in microseconds. */
  cpu(): Promise<number>;
  /** A named operation of the target (seeding, counting, the raw bound's own measurement). */
  call<T>(method: string, argument?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Extra environment for the process (UV_THREADPOOL_SIZE, …). */
  env?: Record<string, string>;
  /** Extra Node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/**
 * The targets of `npm run bench` and how each runs:
 * - `portcullis`: `node bin/portcullis.mjs serve` (the bundle) on a SQLite file the bench seeds
 *   first (bench/targets/portcullis.ts); with `instantHash`, bench/targets/portcullis-instant.ts
 *   through tsx instead (diagnostics only, never a row);
 * - the peers and bounds: `node bench/targets/NAME.mjs`, plain JavaScript with no loader, as their
 *   READMEs deploy them (oauth2-server, oidc-provider, raw-argon2).
 */
export const PLAIN_TARGETS = ['oauth2-server', 'oidc-provider', 'raw-argon2'] as const;

let bundleBuilt = false;

/** `npm run build`'s server bundle, so that `portcullis serve` never falls back to the sources through tsx. */
function buildServerBundle(): void {
  if (bundleBuilt) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts/build-server.mjs')], { stdio: ['ignore', 'ignore', 'inherit'] });
  bundleBuilt = true;
}

function fromProc(name: string, pid: number, port: number | undefined, info: Record<string, unknown>) {
  return {
    name,
    pid,
    port,
    url: `http://127.0.0.1:${port}`,
    info,
    rss: async () => processRss(pid),
    cpu: async () => processCpu(pid),
  };
}

/**
 * Starts a target in its own process with stdout sent to /dev/null, so that a server logging to
 * stdout pays for writing its log lines but the runner does not pay for reading them.
 */
export async function spawnTarget(name: string, options: Record<string, unknown>, spawnOptions: SpawnOptions = {}): Promise<TargetProcess> {
  const devNull = openSync('/dev/null', 'w');
  if (name === 'portcullis' && options.instantHash !== true) {
    buildServerBundle();
    const server = await startPortcullis({
      ...(typeof options.logLevel === 'string' ? { logLevel: options.logLevel } : {}),
      nodeArgs: spawnOptions.nodeArgs ?? [],
      env: spawnOptions.env ?? {},
      stdout: devNull,
      // bench/postgres.ts: a PostgreSQL database, and a second instance on it that seeds nothing.
      store: {
        ...(typeof options.databaseUrl === 'string' && { databaseUrl: options.databaseUrl, secretKey: String(options.secretKey) }),
        ...(options.seeded !== undefined && { seeded: options.seeded as PortcullisInfo }),
        ...(options.env !== undefined && { env: options.env as Record<string, string> }),
      },
    });
    const { info, config } = server.seeded;
    const rpc: Record<string, (argument: unknown) => unknown> = {
      countTokens: () => countTokens(config.db),
      seedCodes: (argument) => {
        const { count, codeChallenge } = argument as { count: number; codeChallenge: string };
        return seedCodes(config.db, info, count, codeChallenge);
      },
    };
    return {
      ...fromProc(name, server.process.pid!, server.port, info as unknown as Record<string, unknown>),
      async call<T>(method: string, argument?: unknown) {
        const operation = rpc[method];
        if (!operation) throw new Error(`target ${name} has no operation ${method}`);
        return (await operation(argument)) as T;
      },
      stop: () => server.close(),
    };
  }
  if (name === 'portcullis') return spawnScript(name, join(TARGETS, 'portcullis-instant.ts'), options, { ...spawnOptions, nodeArgs: ['--import', 'tsx', ...(spawnOptions.nodeArgs ?? [])] }, devNull);
  if (!(PLAIN_TARGETS as readonly string[]).includes(name)) throw new Error(`unknown target ${name}`);
  return spawnScript(name, join(TARGETS, `${name}.mjs`), options, spawnOptions, devNull);
}

/**
 * `node [nodeArgs] FILE OPTIONS-JSON`, speaking bench/targets/announce.mjs's protocol: JSON lines
 * on descriptor 3 (the ready line, then one answer per request written on its stdin).
 */
async function spawnScript(name: string, file: string, options: Record<string, unknown>, spawnOptions: SpawnOptions, stdout: number): Promise<TargetProcess> {
  const child: ChildProcess = spawn(process.execPath, [...(spawnOptions.nodeArgs ?? []), file, JSON.stringify(options)], {
    env: { ...process.env, NODE_ENV: 'production', ...spawnOptions.env, BENCH_CONTROL_FD: '3' },
    stdio: ['pipe', stdout, 'inherit', 'pipe'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const lines = createInterface({ input: child.stdio[3] as NodeJS.ReadableStream });
  const ready = await new Promise<{ port?: number; info: Record<string, unknown> }>((resolve, reject) => {
    let started = false;
    lines.on('line', (line) => {
      const message = JSON.parse(line) as { id?: number; value?: unknown; error?: string; port?: number; info: Record<string, unknown> };
      if (!started) {
        started = true;
        resolve(message);
        return;
      }
      const waiter = pending.get(message.id!);
      pending.delete(message.id!);
      if (message.error !== undefined) waiter?.reject(new Error(`target ${name}: ${message.error}`));
      else waiter?.resolve(message.value);
    });
    child.once('exit', (code, signal) => {
      const error = new Error(`target ${name} exited (${code ?? signal})`);
      reject(error);
      for (const waiter of pending.values()) waiter.reject(error);
    });
  });
  return {
    ...fromProc(name, child.pid!, ready.port, ready.info),
    call<T>(method: string, argument?: unknown) {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.stdin!.write(`${JSON.stringify({ id, method, argument })}\n`);
      });
    },
    async stop() {
      lines.close();
      await stopProcess(child);
    },
  };
}
