import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createTestDatabase, createTestSchema, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { storeContract } from './contract.ts';

// One database per run, one schema per test: each test starts empty, and nothing outlives the run.
if (await requirePostgres('PostgreSQL store contract')) {
  let database: TestDatabase;
  let schemas = 0;
  before(async () => {
    database = await createTestDatabase();
  });
  after(async () => {
    await database.drop();
  });

  storeContract('PostgreSQL', async () => {
    const url = await createTestSchema(database.url, `contract_${++schemas}`);
    const store = new PostgresStore(url, { maxConnections: 8 });
    await store.migrate();
    return {
      store,
      twin: async () => new PostgresStore(url, { maxConnections: 8 }),
      cleanup: () => store.close(),
    };
  });

  describe('PostgreSQL store specifics', () => {
    it('has a twin of every SQLite migration, under the same number and name', () => {
      const list = (store: string) => readdirSync(new URL(`../../src/store/${store}/migrations/`, import.meta.url)).filter((name) => name.endsWith('.sql')).sort();
      assert.deepEqual(list('postgres'), list('sqlite'));
    });

    it('migrations are not cut short by the statement timeout meant for requests', async () => {
      const url = await createTestSchema(database.url, 'slow_migration');
      const store = new PostgresStore(url, { statementTimeoutMillis: 1 });
      try {
        assert.ok((await store.migrate()).length > 0);
      } finally {
        await store.close();
      }
    });
  });
}
