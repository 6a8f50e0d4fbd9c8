import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { systemClock } from '../../src/core/clock.ts';
import type { TokenRecord } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { option, printCpuPer } from '../lib/micro.ts';

/**
 * CPU cost of a refresh's store work on the real SqliteStore (schema, group commit, read caches,
 * checkpoint thread and pragmas as shipped): the presented token's view (`findToken`), then the
 * rotation (`rotateRefreshToken`: the claim, the family's count, the new access and refresh tokens),
 * `--group` refreshes at a time, the `--families` families refreshed in turn, after `--grow`
 * refreshes to grow the store. What the HTTP path, client authentication and minting add is not in it.
 *
 *   --pragma "cache_size = -32768"    a pragma of the store's connection, to compare against
 *   --checkpoint-interval 1000        the checkpoint thread's interval in ms (shipped: 200)
 *   --pages                           instead of CPU: the WAL pages a refresh writes, by b-tree
 *                                     (no checkpoint thread; the WAL is emptied before the count)
 *
 * Usage: tsx bench/micro/sqlite-refresh.ts [--group 16] [--families 512] [--grow 40000] [--refreshes 60000] [--pages]
 */

const group = Number(option('group', '16'));
const families = Number(option('families', '512'));
const grow = Number(option('grow', '40000'));
const pages = process.argv.includes('--pages');
const measured = Number(option('refreshes', pages ? '1600' : '60000'));
const pragma = option('pragma', '');
const interval = option('checkpoint-interval', '');

const dir = mkdtempSync(join(tmpdir(), 'portcullis-micro-'));
const path = join(dir, 'micro.db');
const store = new SqliteStore(path, pages ? { backgroundCheckpoint: false } : interval ? { intervalMs: Number(interval) } : {});
await store.migrate();
// The bench may reach past the seam: to override a pragma, and to read the WAL's pages.
const db = (store as unknown as { db: Database.Database }).db;
if (pragma) db.pragma(pragma);
const { client } = await registerClient(store, systemClock, { name: 'micro', type: 'confidential', grants: ['password', 'refresh_token'] });
await store.createUser({ username: 'alice', passwordHash: '', groups: [], enabled: true, createdAt: systemClock.nowSeconds() });

/** A grant's new tokens, as mintTokens makes them (opaque access token). */
function mint(familyId: string, now: number): { records: TokenRecord[]; refreshToken: string } {
  const base = { familyId, clientId: client.id, username: 'alice', scope: [], issuedAt: now, revokedAt: null, rotatedAt: null };
  const refreshToken = generateSecret();
  return {
    records: [
      { ...base, hash: hashSecret(generateSecret()), kind: 'access', expiresAt: now + 3600 },
      { ...base, hash: hashSecret(refreshToken), kind: 'refresh', expiresAt: now + 86_400 },
    ],
    refreshToken,
  };
}

const presented: string[] = [];
for (let i = 0; i < families; i++) {
  const now = systemClock.nowSeconds();
  const id = randomUUID();
  const minted = mint(id, now);
  await store.saveFamily({ id, clientId: client.id, username: 'alice', scope: [], refreshCount: 0, createdAt: now, revokedAt: null }, minted.records);
  presented.push(minted.refreshToken);
}

let next = 0;
async function refresh(): Promise<void> {
  const slot = next++ % families;
  const now = systemClock.nowSeconds();
  const token = await store.findToken(hashSecret(presented[slot]!));
  if (!token || token.rotatedAt !== null || token.familyId === null) throw new Error('the presented token is not live');
  const minted = mint(token.familyId, now);
  const outcome = await store.rotateRefreshToken({ presentedHash: token.hash, now, refreshLimit: null, newTokens: minted.records });
  if (outcome !== 'rotated') throw new Error(`refresh: ${outcome}`);
  presented[slot] = minted.refreshToken;
}

async function run(refreshes: number): Promise<void> {
  for (let done = 0; done < refreshes; done += group) await Promise.all(Array.from({ length: group }, refresh));
}

/** The WAL's frames by the b-tree (table or index) and page type of their page, per refresh. */
function walPagesByTree(): void {
  const wal = readFileSync(`${path}-wal`);
  const pageSize = wal.readUInt32BE(8);
  const trees = new Map<number, string>();
  for (const row of db.prepare('SELECT name, pageno, pagetype FROM dbstat').all() as { name: string; pageno: number; pagetype: string }[]) {
    trees.set(row.pageno, `${row.name} ${row.pagetype}`);
  }
  const counts = new Map<string, number>();
  let frames = 0;
  let commits = 0;
  // WAL format: a 32-byte header, then frames of a 24-byte header (page number, then the database
  // size in pages on a commit's last frame, else 0) and the page.
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    const tree = trees.get(wal.readUInt32BE(offset)) ?? '(freelist or new)';
    counts.set(tree, (counts.get(tree) ?? 0) + 1);
    frames++;
    if (wal.readUInt32BE(offset + 4) !== 0) commits++;
  }
  console.log(`group ${group}, ${families} families: ${(frames / measured).toFixed(2)} WAL pages per refresh (${frames} in ${commits} commits of ${pageSize} bytes)`);
  for (const [tree, count] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${(count / measured).toFixed(2).padStart(7)}  ${tree}`);
}

await run(grow);
if (pages) {
  db.pragma('wal_checkpoint(TRUNCATE)');
  await run(measured);
  walPagesByTree();
} else {
  const label = `group ${group}, ${families} families, checkpoint interval ${interval || 'as shipped'}, ${pragma || 'pragmas as shipped'}`;
  await printCpuPer('refresh', measured, label, () => run(measured));
}
await store.close();
rmSync(dir, { recursive: true, force: true });
