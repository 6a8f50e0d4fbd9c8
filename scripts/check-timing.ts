#!/usr/bin/env node
/**
 * `npm run check:timing`: is an unknown username distinguishable from a wrong password by timing?
 * Starts a real Portcullis (temporary SQLite, real argon2id, real HTTP on loopback), then sends
 * password grants one at a time, alternating unknown user and wrong password so that drift hits
 * both equally, and prints each median and their ratio (the target is 0.9–1.1).
 * Throttling is switched off for the run: it measures the hash path, not the 429s.
 *
 *   npm run check:timing -- [--rounds 200]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createApp } from '../src/app.ts';
import { loadConfig } from '../src/config/config.ts';
import { systemClock } from '../src/core/clock.ts';
import { registerClient } from '../src/manage/clients.ts';
import { createUser } from '../src/manage/users.ts';

const roundsFlag = process.argv.indexOf('--rounds');
const rounds = roundsFlag > 0 ? Number(process.argv[roundsFlag + 1]) : 200;
const warmup = 20;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const dir = mkdtempSync(join(tmpdir(), 'portcullis-timing-'));
const config = loadConfig(
  { db: join(dir, 'timing.db'), port: 0, config: undefined },
  { PORTCULLIS_LOG_LEVEL: 'silent', PORTCULLIS_ADMIN_PASSWORD: 'timing-admin-password', PORTCULLIS_THROTTLE_ENABLED: 'false' },
);
const app = await createApp(config);
try {
  await app.server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(app.server.server.address() as AddressInfo).port}/oauth/token`;
  const { client, secret } = await registerClient(app.store, systemClock, { name: 'timing', type: 'confidential', grants: ['password'] });
  await createUser(app.store, app.ctx.hasher, systemClock, { username: 'timing-user', password: 'the right password' });
  const authorization = `Basic ${Buffer.from(`${client.id}:${secret}`).toString('base64')}`;

  async function attempt(username: string): Promise<number> {
    const body = new URLSearchParams({ grant_type: 'password', username, password: 'a wrong password' }).toString();
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' }, body });
    await response.arrayBuffer();
    const elapsed = performance.now() - started;
    if (response.status !== 400) throw new Error(`expected 400 invalid_grant, got ${response.status}`);
    return elapsed;
  }

  const unknown: number[] = [];
  const wrong: number[] = [];
  for (let i = 0; i < warmup + rounds; i++) {
    // Alternate the order too, so neither kind always runs first.
    const pair = i % 2 === 0
      ? [await attempt(`nobody-${i}`), await attempt('timing-user')]
      : [await attempt('timing-user'), await attempt(`nobody-${i}`)].reverse();
    if (i < warmup) continue;
    unknown.push(pair[0]!);
    wrong.push(pair[1]!);
  }
  const [u, w] = [median(unknown), median(wrong)];
  const ratio = u / w;
  process.stdout.write(
    `password grant, ${rounds} rounds each, argon2id m=${config.argon2.memoryCost} t=${config.argon2.timeCost} p=${config.argon2.parallelism}\n` +
      `median unknown user:   ${u.toFixed(2)} ms\n` +
      `median wrong password: ${w.toFixed(2)} ms\n` +
      `ratio unknown/wrong:   ${ratio.toFixed(3)} (target 0.9–1.1) ${ratio >= 0.9 && ratio <= 1.1 ? 'OK' : 'OUT OF RANGE'}\n`,
  );
  process.exitCode = ratio >= 0.9 && ratio <= 1.1 ? 0 : 1;
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
