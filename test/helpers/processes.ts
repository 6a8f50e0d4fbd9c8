import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'portcullis.mjs');

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
  /** SIGTERM, then waits for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node bin/portcullis.mjs serve` as its own process and resolves once it logs that it is
 * ready. `env` carries the store (PORTCULLIS_DB or PORTCULLIS_DATABASE_URL).
 */
export async function startServerProcess(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  const listenPort = port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(listenPort), '--host', '127.0.0.1'], {
    env: {
      ...process.env,
      PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-tests',
      PORTCULLIS_LOG_LEVEL: 'info',
      PORTCULLIS_CONFIG: '/dev/null',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    // Keep only the tail: a busy server logs every request.
    const keep = (chunk: Buffer) => {
      text = (text + chunk.toString()).slice(-20_000);
    };
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (text.includes('portcullis is ready')) resolve();
    });
    child.stderr!.on('data', keep);
    void exited.then((code) => reject(new Error(`portcullis exited with ${code} before it was ready:\n${text}`)));
  });
  return {
    url: `http://127.0.0.1:${listenPort}`,
    port: listenPort,
    child,
    output: () => text,
    async kill9() {
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
