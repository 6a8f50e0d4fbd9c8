/**
 * What the micro-benchmarks under bench/micro share: their few options, and their one measure
 * (CPU per operation of a loop in this process).
 */

/** The value after `--name` on the command line, else `fallback` (every value a string for the caller to convert). */
export function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
}

/** Runs `work` (`count` operations) and prints this process's CPU per operation, user and system apart, and the wall time. */
export async function printCpuPer(unit: string, count: number, label: string, work: () => Promise<void>): Promise<void> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const used = process.cpuUsage(cpu);
  const wall = performance.now() - started;
  console.log(
    `${label}: ${((used.user + used.system) / count).toFixed(1)} µs CPU per ${unit} ` +
      `(${(used.user / count).toFixed(1)} user, ${(used.system / count).toFixed(1)} system), ${((wall * 1000) / count).toFixed(1)} µs wall`,
  );
}
