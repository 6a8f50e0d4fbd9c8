import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, WatchedProcess } from './processes.ts';

const BIN = resolve(import.meta.dirname, '../../bin/portcullis.mjs');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws when it is not). */
  json<T = any>(): T;
}

/**
 * The environment a spawned CLI runs in: the parent's, without any PORTCULLIS_* variable
 * (a developer's PORTCULLIS_CONFIG must not leak into a test), plus `env`.
 */
export function cliEnv(env: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('PORTCULLIS_')) clean[key] = value;
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete clean[key];
    else clean[key] = value;
  }
  return clean;
}

/**
 * Runs `node bin/portcullis.mjs …args` to completion, with `stdin` written to its standard input.
 * Fails, having killed it, if it has not finished within 30 s.
 */
export async function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: 'pipe' });
  const watched = new WatchedProcess(child, `portcullis ${args.join(' ')}`);
  const spawned = new Promise<never>((_, fail) => child.once('error', fail));
  child.stdin.end(options.stdin ?? '');
  const code = await Promise.race([spawned, watched.finish()]);
  const { stdout, stderr } = watched;
  return {
    code,
    stdout,
    stderr,
    json() {
      return JSON.parse(stdout);
    },
  };
}

/**
 * A temporary directory holding a database file, removed by `cleanup()`. The file is empty (an
 * empty SQLite database), so commands other than `migrate` and `serve` accept it without --create.
 */
export function tempDb(): { dir: string; db: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
  const db = join(dir, 'portcullis.db');
  writeFileSync(db, '');
  return { dir, db, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * Spawns `portcullis serve` and resolves once it logs "portcullis is ready". Fails, with the end of
 * its stderr, if it exits first or is not ready within 30 s.
 */
export async function startServe(
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<ServeProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), ...args], {
    cwd: options.cwd,
    env: cliEnv(options.env),
    stdio: 'pipe',
  });
  const watched = new WatchedProcess(child, `portcullis serve ${args.join(' ')}`);
  await watched.until('logging "portcullis is ready"', (signal) =>
    new Promise<void>((done) => {
      const look = () => {
        if (!watched.stdout.includes('"msg":"portcullis is ready"')) return;
        child.stdout.off('data', look);
        done();
      };
      child.stdout.on('data', look);
      signal.addEventListener('abort', () => child.stdout.off('data', look));
    }),
  );
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stdout: () => watched.stdout,
    stderr: () => watched.stderr,
    async stop() {
      await watched.stop();
    },
  };
}
