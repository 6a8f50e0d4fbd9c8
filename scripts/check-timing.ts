#!/usr/bin/env node
/**
 * `npm run check:timing`: is an unknown username distinguishable from a wrong password by timing?
 * Starts a real Portcullis (temporary SQLite, real argon2id, real HTTP on loopback), then sends
 * password grants one at a time, alternating unknown user and wrong password so that drift hits
 * both equally, and prints each median and their ratio (the target is 0.9–1.1).
 * Throttling is switched off for the run: it measures the hash path, not the 429s.
 *
 * Then the same for directory users (docs/directory.md, "Timing"), against a throwaway OpenLDAP
 * (Debian's slapd, started as the tests start it): a name the directory does not have versus a
 * directory user's wrong password, within the same bound. Also printed, not judged: a local user's
 * wrong password next to a directory user's, on the same server. Without slapd the directory case
 * is skipped (and said so).
 *
 *   npm run check:timing -- [--rounds 200]
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/core/clock.ts';
import { registerClient } from '../src/manage/clients.ts';
import { LdapDirectory } from '../src/directory/ldap-directory.ts';
import { createUser } from '../src/manage/users.ts';
import type { Slapd } from '../test/helpers/slapd.ts';

const roundsFlag = process.argv.indexOf('--rounds');
const rounds = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 200;
const warmup = 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const inRange = (ratio: number) => ratio >= 0.9 && ratio <= 1.1;

/**
 * Runs one Portcullis with `env`, a local user `timing-user`, and measures alternating password
 * grants for each of `names` (each a function of the round, so that unknown names never repeat).
 * Returns the medians in milliseconds, in the order of `names`.
 */
async function measure(env: Record<string, string>, names: ((round: number) => string)[]): Promise<{ medians: number[]; argon2: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-timing-'));
  const config = loadConfig(
    { db: join(dir, 'timing.db'), port: 0, config: undefined },
    { PORTCULLIS_LOG_LEVEL: 'silent', PORTCULLIS_ADMIN_PASSWORD: 'timing-admin-password', PORTCULLIS_THROTTLE_ENABLED: 'false', ...env },
  );
  const app = await createApp(config);
  try {
    await app.server.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app.server.server.address() as AddressInfo).port}/oauth/token`;
    const { client, secret } = await registerClient(app.store, systemClock, { name: 'timing', type: 'confidential', grants: ['password'] });
    await createUser(app.store, app.ctx.hasher, systemClock, { username: 'timing-user', password: 'the right password' });
    const authorization = `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}`;

    const attempt = async (username: string): Promise<number> => {
      const body = new URLSearchParams({ grant_type: 'password', username, password: 'a wrong password' }).toString();
      const started = performance.now();
      const response = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
      await response.arrayBuffer();
      const elapsed = performance.now() - started;
      if (response.status !== 400) throw new Error(`expected 400 invalid_grant, got ${response.status}`);
      return elapsed;
    };

    const samples: number[][] = names.map(() => []);
    for (let i = 0; i < warmup + rounds; i++) {
      // Rotate the order too, so that no kind always runs first.
      const order = names.map((_, k) => (k + i) % names.length);
      const times: number[] = [];
      for (const k of order) times[k] = await attempt(names[k]!(i));
      if (i < warmup) continue;
      times.forEach((time, k) => samples[k]!.push(time));
    }
    const { memoryCost, timeCost, parallelism } = config.argon2;
    return { medians: samples.map(median), argon2: `argon2id m=${memoryCost} t=${timeCost} p=${parallelism}` };
  } finally {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

let failed = false;

const local = await measure({}, [(i) => `nobody-${i}`, () => 'timing-user']);
const [u, w] = local.medians as [number, number];
failed ||= !inRange(u / w);
process.stdout.write(
  `password grant, local users, ${rounds} rounds each, ${local.argon2}\n` +
    `median unknown user:   ${u.toFixed(2)} ms\n` +
    `median wrong password: ${w.toFixed(2)} ms\n` +
    `ratio unknown/wrong:   ${(u / w).toFixed(3)} (target 0.9–1.1) ${inRange(u / w) ? 'OK' : 'OUT OF RANGE'}\n\n`,
);

let slapdInstalled = true;
try {
  accessSync('/usr/sbin/slapd', constants.X_OK);
  accessSync('/usr/bin/ldapadd', constants.X_OK);
} catch {
  slapdInstalled = false;
}
// The throwaway slapd of the tests; loaded only here, since it lives with the tests in a clone.
const helpers = slapdInstalled ? await import('../test/helpers/slapd.ts').catch(() => undefined) : undefined;
if (!helpers) {
  process.stdout.write('directory users: skipped (Debian\'s slapd and ldap-utils, and the test helpers of a clone, are needed)\n');
} else {
  const { directoryEnv, person, startSlapd } = helpers;
  let slapd: Slapd | undefined;
  try {
    slapd = await startSlapd({ ldif: person('timing-directory-user', 'the right password') });
    const directory = await measure(directoryEnv(slapd, { PORTCULLIS_DIRECTORY_DISABLED_FILTER: '(employeeType=disabled)' }), [
      (i) => `nobody-${i}`,
      () => 'timing-directory-user',
      () => 'timing-user',
    ]);
    const [du, dw, lw] = directory.medians as [number, number, number];
    failed ||= !inRange(du / dw);
    process.stdout.write(
      `password grant, directory users (OpenLDAP on loopback, search-then-bind), ${rounds} rounds each, ${directory.argon2}\n` +
        `median unknown user:              ${du.toFixed(2)} ms\n` +
        `median wrong password:            ${dw.toFixed(2)} ms\n` +
        `ratio unknown/wrong:              ${(du / dw).toFixed(3)} (target 0.9–1.1) ${inRange(du / dw) ? 'OK' : 'OUT OF RANGE'}\n` +
        `median local user, wrong password: ${lw.toFixed(2)} ms (same server; ratio directory/local ${(dw / lw).toFixed(3)}, not judged)\n\n`,
    );
    // The directory's part alone, without the argon2 verification that runs beside it: the search,
    // then a real bind or the stand-in (a bind to a DN that cannot exist, padded to a typical bind).
    const config = loadConfig({ config: undefined }, directoryEnv(slapd, { PORTCULLIS_DIRECTORY_DISABLED_FILTER: '(employeeType=disabled)' })).directory!;
    const ldap = new LdapDirectory(config, { clock: systemClock });
    try {
      const alone: [number[], number[]] = [[], []];
      for (let i = 0; i < warmup + rounds; i++) {
        for (const k of i % 2 ? [1, 0] : [0, 1]) {
          const started = performance.now();
          await ldap.authenticate(k === 0 ? `nobody-${i}` : 'timing-directory-user', 'a wrong password');
          if (i >= warmup) alone[k]!.push(performance.now() - started);
        }
      }
      const [au, aw] = alone.map(median) as [number, number];
      failed ||= !inRange(au / aw);
      process.stdout.write(
        `directory checks alone (no argon2), ${rounds} rounds each\n` +
          `median unknown user:   ${au.toFixed(3)} ms\n` +
          `median wrong password: ${aw.toFixed(3)} ms\n` +
          `ratio unknown/wrong:   ${(au / aw).toFixed(3)} (target 0.9–1.1) ${inRange(au / aw) ? 'OK' : 'OUT OF RANGE'}\n`,
      );
    } finally {
      ldap.close();
    }
  } finally {
    await slapd?.close();
  }
}
process.exitCode = failed ? 1 : 0;
