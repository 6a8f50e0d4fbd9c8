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
 * Starts `node bin/portcullis.mjs serve` as its own process and resolves once it answers
 * `/healthz`. `env` carries the store (PORTCULLIS_DB or PORTCULLIS_DATABASE_URL).
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
  let text = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Keep only the tail of what it writes, for the error message if it never gets ready.
  const keep = (chunk: Buffer) => {
    text = (text + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let gone = false;
  void exited.then(() => (gone = true));
  // Ready when it answers /healthz (it listens only after migrations and first-run setup).
  for (;;) {
    if (gone) throw new Error(`portcullis exited with ${child.exitCode} before it was ready:\n${text}`);
    try {
      if ((await fetch(`http://127.0.0.1:${listenPort}/healthz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
