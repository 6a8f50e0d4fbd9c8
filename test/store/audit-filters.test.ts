import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.ts';

// The PostgreSQL store once ignored these filters (its statement was a copy that had fallen behind).
async function filtersApply(store: Store): Promise<void> {
  await store.migrate();
  await store.appendAudit([
    { at: 1, type: 'login.failed', ip: '192.0.2.1', username: 'u', reason: 'wrong_password' },
    { at: 2, type: 'token.issued', clientId: 'c', username: 'u' },
    { at: 3, type: 'token.issued', clientId: 'd', username: 'v' },
  ]);
  const ats = async (query: Parameters<Store['listAudit']>[0]) => (await store.listAudit(query)).map((record) => record.at);
  assert.deepEqual(await ats({ limit: 10, type: 'token.issued' }), [3, 2]);
  assert.deepEqual(await ats({ limit: 10, username: 'u' }), [2, 1]);
  assert.deepEqual(await ats({ limit: 10, clientId: 'd' }), [3]);
  assert.deepEqual(await ats({ limit: 10, type: 'token.issued', username: 'u', clientId: 'c' }), [2]);
}

const pgReady = await requirePostgres('audit filters on PostgreSQL');

describe('listAudit filters by type, username and client on every store', () => {
  it('SQLite', async () => {
    const store = new SqliteStore(':memory:');
    try {
      await filtersApply(store);
    } finally {
      await store.close();
    }
  });

  it('PostgreSQL', { skip: !pgReady }, async () => {
    const database = await createTestDatabase();
    const store = new PostgresStore(database.url);
    try {
      await filtersApply(store);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
