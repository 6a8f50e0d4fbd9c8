import { spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, WatchedProcess } from './processes.ts';
import { requireService, type ServiceCheck } from './services.ts';

const PGBOUNCER = process.env.PORTCULLIS_TEST_PGBOUNCER ?? '/usr/sbin/pgbouncer';

/** Whether the PgBouncer suites of `suite` run: Debian's `pgbouncer` must be installed (.ci/run installs it). */
export function requirePgBouncer(suite: string): boolean {
  let check: ServiceCheck = { ok: true };
  try {
    accessSync(PGBOUNCER, constants.X_OK);
  } catch {
    check = { ok: false, problem: `${PGBOUNCER} is not installed`, remedy: "Install Debian's pgbouncer (apt-get install pgbouncer), or set PORTCULLIS_TEST_PGBOUNCER." };
  }
  return requireService(suite, check);
}

export interface PgBouncer {
  /** `databaseUrl` with its host and port replaced by the pooler's. */
  url: string;
  close(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * A PgBouncer of its own on a free port in front of the test PostgreSQL (trust auth), pooling in
 * `mode`; the package's own service is not used. Started as the `postgres` user when the tests run
 * as root (PgBouncer refuses to run as root).
 */
export async function startPgBouncer(databaseUrl: string, mode: 'session' | 'transaction'): Promise<PgBouncer> {
  const target = new URL(databaseUrl);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-pgbouncer-'));
  chmodSync(dir, 0o755);
  const users = join(dir, 'users.txt');
  writeFileSync(users, `"${target.username}" ""\n`, { mode: 0o644 });
  const ini = join(dir, 'pgbouncer.ini');
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${target.hostname} port=${target.port || 5432}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${users}`,
      `pool_mode = ${mode}`,
      // pg sends statement_timeout as a startup parameter, which PgBouncer refuses unless told to drop it.
      'ignore_startup_parameters = extra_float_digits,statement_timeout',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const asUser = process.getuid?.() === 0 ? ['-u', 'postgres'] : [];
  const child = spawn(PGBOUNCER, [...asUser, ini], { stdio: ['ignore', 'pipe', 'pipe'] });
  const watched = new WatchedProcess(child, `pgbouncer (${mode}) on port ${port}`, 20_000);
  await watched.until('accepting connections', async (signal) => {
    while (!signal.aborted) {
      if (await accepts(port)) return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  });
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    async close() {
      await watched.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
