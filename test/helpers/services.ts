import { test } from 'node:test';

/** Whether this run is CI: `CI` set to anything but '', '0' or 'false' (.ci/run sets CI=1). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== '0' && value !== 'false';
}

/** What `requireService` found: the service is there, or why it is not and how to provide it. */
export type ServiceCheck = { ok: true } | { ok: false; problem: string; remedy: string };

/**
 * Decides what a suite that needs an outside service (PostgreSQL, Redis, Chromium) does:
 * `'run'` when the service is there; a skip reason on a developer's machine when it is missing;
 * under CI it throws, because CI must not pass by skipping.
 */
export function serviceDecision(suite: string, check: ServiceCheck, env: NodeJS.ProcessEnv = process.env): 'run' | { skip: string } {
  if (check.ok) return 'run';
  if (isCi(env)) throw new Error(`${suite}: ${check.problem}; CI must run these tests. ${check.remedy}`);
  return { skip: `${check.problem}. ${check.remedy}` };
}

/**
 * Whether the tests of `suite` run. When the service is missing on a developer's machine this
 * registers a skipped test named after the suite, with the reason, so that the run counts and
 * shows it (a skipped describe() is not counted); under CI it throws at load, and the file fails.
 */
export function requireService(suite: string, check: ServiceCheck): boolean {
  const decision = serviceDecision(suite, check);
  if (decision === 'run') return true;
  test(suite, { skip: decision.skip }, () => undefined);
  return false;
}
