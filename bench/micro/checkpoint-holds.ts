import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from '../../src/core/clock.ts';
import type { TokenFamily, TokenRecord } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { WAL_LIMIT_PAGES } from '../../src/store/sqlite/background-checkpointer.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';

/**
 * What the checkpoint thread's holds cost the refresh grant's writes: refresh rotations on the
 * real SqliteStore (schema, group commit, checkpoint thread as shipped), in waves of `--group`
 * concurrent rotations (the bench's c=16), each wave's wall time recorded. Prints CPU per rotation,
 * the holds (how many, how long), and the waves' p50/p99/max: a wave that met a hold waited for it.
 * Usage: tsx bench/micro/checkpoint-holds.ts [--waves 1500] [--group 16] [--grow 20000] [--limit-pages N]
 */
const { values } = parseArgs({
  options: {
    waves: { type: 'string', default: '1500' },
    group: { type: 'string', default: '16' },
    grow: { type: 'string', default: '20000' },
    'limit-pages': { type: 'string', default: String(WAL_LIMIT_PAGES) },
  },
});
const waves = Number(values.waves);
const group = Number(values.group);
const limitPages = Number(values['limit-pages']);

const dir = mkdtempSync(join(tmpdir(), 'portcullis-micro-'));
const store = new SqliteStore(join(dir, 'micro.db'), { limitPages });
await store.migrate();
const { client } = await registerClient(store, systemClock, { name: 'micro', type: 'confidential', grants: ['password', 'refresh_token'] });
const now = systemClock.nowSeconds();

function pair(familyId: string): TokenRecord[] {
  const base = { familyId, clientId: client.id, username: null, scope: ['read'], issuedAt: now, revokedAt: null, rotatedAt: null };
  return [
    { ...base, hash: hashSecret(generateSecret()), kind: 'access', expiresAt: now + 3600 },
    { ...base, hash: hashSecret(generateSecret()), kind: 'refresh', expiresAt: now + 86_400 },
  ];
}

async function newFamily(): Promise<string> {
  const family: TokenFamily = { id: randomUUID(), clientId: client.id, username: null, scope: ['read'], refreshCount: 0, createdAt: now, revokedAt: null, authentication: null };
  const tokens = pair(family.id);
  await store.saveFamily(family, tokens);
  return tokens[1]!.hash;
}

try {
  // A table of some size first, so that rotations touch leaves all over it as in a server that has run a while.
  for (let grown = 0; grown < Number(values.grow); grown += 1000) await Promise.all(Array.from({ length: 1000 }, newFamily));
  let refreshHashes = await Promise.all(Array.from({ length: group }, newFamily));
  const before = store.checkpointStatistics();
  const cpu = process.cpuUsage();
  const times: number[] = [];
  for (let wave = 0; wave < waves; wave++) {
    const start = performance.now();
    refreshHashes = await Promise.all(
      refreshHashes.map(async (presentedHash) => {
        // The store files the new pair under the presented token's family, whatever id it carries.
        const newTokens = pair(randomUUID());
        const outcome = await store.rotateRefreshToken({ presentedHash, now, refreshLimit: null, newTokens });
        if (outcome !== 'rotated') throw new Error(`rotation: ${outcome}`);
        return newTokens[1]!.hash;
      }),
    );
    times.push(performance.now() - start);
  }
  const used = process.cpuUsage(cpu);
  const after = store.checkpointStatistics();
  times.sort((a, b) => a - b);
  const at = (p: number) => times[Math.min(times.length - 1, Math.floor(times.length * p))]!.toFixed(1);
  const holds = after.holds - before.holds;
  console.log(
    `limit ${limitPages} pages: ${((used.user + used.system) / (waves * group)).toFixed(0)} µs CPU/rotation; ` +
      `${holds} holds (${(((after.heldMs - before.heldMs) / Math.max(1, holds))).toFixed(1)} ms each on average, longest ${after.longestHoldMs.toFixed(1)}), ` +
      `one per ${holds === 0 ? '-' : Math.round((waves * group) / holds)} rotations; wave ms p50 ${at(0.5)} p99 ${at(0.99)} max ${at(1)}; load ${loadavg()[0]!.toFixed(1)}`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
