import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './processes.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

/** Runs `node bin/portcullis.mjs …args` to completion, with `stdin` written to its standard input. */
export function runCli(
  args: string[],
  options: { stdin?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: cliEnv(options.env), stdio: 'pipe' });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) =>
      done({
        code,
        stdout,
        stderr,
        json() {
          return JSON.parse(stdout);
        },
      }),
    );
    child.stdin.end(options.stdin ?? '');
  });
}

/** A temporary directory holding a database path, removed by `cleanup()`. */
export function tempDb(): { dir: string; db: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
  return { dir, db: join(dir, 'portcullis.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  stdout(): string;
  stderr(): string;
  stop(): Promise<void>;
}

/** Spawns `portcullis serve` and resolves once it logs "portcullis is ready". */
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
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  await new Promise<void>((done, fail) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      if (stdout.includes('"msg":"portcullis is ready"')) done();
    });
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.once('exit', (code) => fail(new Error(`serve exited with ${code} before it was ready: ${stderr}`)));
  });
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
