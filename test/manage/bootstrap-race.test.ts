import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import type { PasswordHasher } from '../../src/core/password-hash.ts';
import { bootstrap } from '../../src/manage/bootstrap.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.ts';

// Hashing is not what is tested here: a cheap stand-in keeps the race tight.
const hasher: PasswordHasher = {
  hash: async (password) => `plain:${password}`,
  verify: async (stored, password) => stored === `plain:${password}`,
  verifyDummy: async () => {},
};

async function raceBootstrap(stores: Store[]): Promise<void> {
  await Promise.all(stores.map((store) => store.migrate()));
  const results = await Promise.all(stores.map((store) => bootstrap(store, hasher, new ManualClock(), 'admin-password')));
  assert.equal(results.filter((result) => result.createdAdmin).length, 1, 'exactly one instance creates the administrator');
  assert.deepEqual((await stores[0]!.findUser('Administrator'))?.groups, ['Administrators']);
}

const withPostgres = await requirePostgres('bootstrap race on PostgreSQL');

describe('first start of several instances at once on a new database', () => {
  it('SQLite: one creates the administrator, none fails', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portcullis-bootstrap-'));
    const stores = [0, 1, 2].map(() => new SqliteStore(join(dir, 'portcullis.db')));
    try {
      await raceBootstrap(stores);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  if (withPostgres) {
    it('PostgreSQL: one creates the administrator, none fails', async () => {
      const database = await createTestDatabase();
      const stores = [0, 1, 2, 3].map(() => new PostgresStore(database.url));
      try {
        await raceBootstrap(stores);
      } finally {
        await Promise.all(stores.map((store) => store.close()));
        await database.drop();
      }
    });
  }
});
