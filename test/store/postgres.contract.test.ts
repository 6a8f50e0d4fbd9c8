import assert from 'node:assert/strict';
import pg from 'pg';
import { after, before, describe, it } from 'node:test';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { compileDdl, readMigrations } from '../../src/store/sql/migrations.ts';
import { createTestDatabase, createTestSchema, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';
import { client, grant, NOW, successors } from './contract-fixtures.ts';
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
      settle: () => store.caughtUp(),
      cleanup: () => store.close(),
    };
  });

  describe('PostgreSQL store specifics', () => {
    it('a database migrated before 0002-0004 existed gets exactly the missing ones, and keeps its tokens', async () => {
      const url = await createTestSchema(database.url, 'older_release');
      const migrations = readMigrations();
      const sql = (version: number) => compileDdl(migrations.find((migration) => migration.version === version)!.script, 'postgres');
      const app = client();
      const g = grant(app.id, null);
      const old = new pg.Client({ connectionString: url });
      await old.connect();
      try {
        // The schema the first PostgreSQL release left: migrations 1 and 5 only, its 0001 with two
        // indexes that 0007 now creates if they do not exist.
        await old.query('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)');
        await old.query(sql(1));
        await old.query('CREATE INDEX user_groups_group ON user_groups (group_name); CREATE INDEX client_scopes_scope ON client_scopes (scope_name)');
        await old.query(sql(5));
        await old.query('INSERT INTO schema_migrations VALUES (1, 0), (5, 0)');
        // A client as that release wrote it: later migrations add columns to the table.
        await old.query("INSERT INTO clients (id, name, type, grants, refresh_ttl, created_at) VALUES ($1, $2, 'public', 'password', 3600, 0)", [app.id, app.name]);
        // A grant as that release wrote it (later migrations add columns to the families too).
        await old.query('INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES ($1, $2, NULL, $3, 0, $4)', [
          g.family.id,
          app.id,
          g.family.scope.join(' '),
          g.family.createdAt,
        ]);
        for (const token of [g.access, g.refresh]) {
          await old.query(
            'INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7)',
            [token.hash, token.kind, g.family.id, app.id, token.scope.join(' '), token.issuedAt, token.expiresAt],
          );
        }
      } finally {
        await old.end();
      }
      const store = new PostgresStore(url);
      try {
        const all = migrations.map((migration) => migration.version);
        assert.deepEqual(await store.migrate(), all.filter((version) => version !== 1 && version !== 5));
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
