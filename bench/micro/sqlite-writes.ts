import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.ts';
import type { TokenRecord } from '../../src/core/model.ts';
import { generateSecret, hashSecret } from '../../src/core/secrets.ts';
import { registerClient } from '../../src/manage/clients.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { option, printCpuPer } from '../lib/micro.ts';

/**
 * CPU cost of the token writes of a client-credentials grant on the real SqliteStore (schema,
 * group commit and pragmas as shipped), in groups of `--group` concurrent grants, after growing
 * the store to `--grow` grants. `--pragma "wal_autocheckpoint = 1000"` overrides a pragma to
 * compare against. Usage: tsx bench/micro/sqlite-writes.ts [--group 22] [--grow 44000] [--pragma P]
 */

const group = Number(option('group', '22'));
const grow = Number(option('grow', '44000'));
const measured = Number(option('grants', '66000'));
const pragma = option('pragma', '');

const dir = mkdtempSync(join(tmpdir(), 'portcullis-micro-'));
const store = new SqliteStore(join(dir, 'micro.db'));
await store.migrate();
// The bench may reach past the seam: only to override a pragma for the comparison.
if (pragma) (store as unknown as { db: { pragma(text: string): unknown } }).db.pragma(pragma);
const { client } = await registerClient(store, systemClock, { name: 'micro', type: 'confidential', grants: ['client_credentials'] });

async function grant(): Promise<void> {
  const familyId = randomUUID();
  const now = systemClock.nowSeconds();
  const token: TokenRecord = {
    hash: hashSecret(generateSecret()),
    kind: 'access',
    familyId,
    clientId: client.id,
    username: null,
    scope: [],
    issuedAt: now,
    expiresAt: now + 3600,
    revokedAt: null,
    rotatedAt: null,
  };
  await store.saveFamily({ id: familyId, clientId: client.id, username: null, scope: [], refreshCount: 0, createdAt: now, revokedAt: null }, [token]);
}

async function run(grants: number): Promise<void> {
  for (let done = 0; done < grants; done += group) await Promise.all(Array.from({ length: group }, grant));
}

await run(grow);
await printCpuPer('grant', measured, `group ${group}, ${pragma || 'pragmas as shipped'}`, () => run(measured));
await store.close();
rmSync(dir, { recursive: true, force: true });
