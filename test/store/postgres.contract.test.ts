import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { after, before, describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createTestDatabase, createTestSchema, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { client, grant, NOW, saveGrant, successors } from './contract-fixtures.ts';
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

    it('a database migrated before 0002-0004 existed gets exactly those, and keeps its tokens', async () => {
      const url = await createTestSchema(database.url, 'older_release');
      const sql = (name: string) => readFileSync(new URL(`../../src/store/postgres/migrations/${name}`, import.meta.url), 'utf8');
      const old = new pg.Client({ connectionString: url });
      await old.connect();
      try {
        // The schema the first PostgreSQL release left: migrations 1 and 5 only.
        await old.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        await old.query(sql('0001-initial.sql'));
        await old.query(sql('0005-purge-indexes.sql'));
        await old.query('INSERT INTO schema_migrations VALUES (1, 0), (5, 0)');
      } finally {
        await old.end();
      }
      const store = new PostgresStore(url);
      try {
        const app = client();
        await store.createClient(app);
        const g = await saveGrant(store, grant(app.id, null));
        // 0002-0004 and every migration released since (0006 on), but never 1 or 5 again.
        const versions = readdirSync(new URL('../../src/store/postgres/migrations/', import.meta.url))
          .filter((name) => name.endsWith('.sql'))
          .map((name) => Number(name.slice(0, 4)))
          .sort((a, b) => a - b);
        assert.deepEqual(await store.migrate(), versions.filter((version) => version !== 1 && version !== 5));
        assert.equal(
          await store.rotateRefreshToken({ presentedHash: g.refresh.hash, now: NOW + 1, refreshLimit: null, newTokens: successors(g, NOW + 1) }),
          'rotated',
        );
        await store.appendAudit([{ at: NOW, type: 'user.created', username: 'u' }]);
        assert.equal((await store.listAudit({ limit: 1 }))[0]?.username, 'u');
      } finally {
        await store.close();
      }
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
