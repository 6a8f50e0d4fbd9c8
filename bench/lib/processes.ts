import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

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

/** Resident set size of a process, in bytes (Linux /proc). */
export function processRss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(kb?.[1] ?? 0) * 1024;
}

/** CPU time (user + system, all threads) a process has used so far, in µs (Linux clock ticks of 10 ms). */
export function processCpu(pid: number): number {
  return statCpu(`/proc/${pid}/stat`);
}

/** CPU time (user + system) of a process's main thread alone, the one that runs its event loop, in µs. */
export function mainThreadCpu(pid: number): number {
  return statCpu(`/proc/${pid}/task/${pid}/stat`);
}

function statCpu(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
