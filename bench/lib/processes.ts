import type { ChildProcess } from 'node:child_process';

/** A loopback port free at the moment of asking: the tests' helper (bench/throttle.ts uses their helpers too). */
export { freePort } from '../../test/helpers/processes.ts';

/** Waits until `url` answers HTTP at all; fails if `child` exits first or after 30 s. */
export async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with code ${child.exitCode}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${url} did not answer within 30 s`);
}

/** SIGTERM (a graceful shutdown, so that --cpu-prof writes its profile), SIGKILL after 10 s. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
