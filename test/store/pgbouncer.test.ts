import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError } from '../../src/core/errors.ts';
import { PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { type PgBouncer, requirePgBouncer, startPgBouncer } from '../helpers/pgbouncer.ts';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../helpers/postgres.ts';

/**
 * docs/deployment.md#pgbouncer: the read caches need notifications between sessions, which a
 * pooler in transaction mode does not carry; Portcullis refuses to start behind one, with a line
 * that says why, and starts behind one in session mode.
 */
if ((await requirePostgres('PostgreSQL behind PgBouncer')) && requirePgBouncer('PostgreSQL behind PgBouncer')) {
  describe('PostgreSQL behind PgBouncer', () => {
    let database: TestDatabase;
    const poolers: PgBouncer[] = [];
    before(async () => {
      database = await createTestDatabase();
    });
    after(async () => {
      await Promise.all(poolers.map((pooler) => pooler.close()));
      await database.drop();
    });

    it('in transaction mode: the start fails with one clear line, before any migration', async () => {
      const pooler = await startPgBouncer(database.url, 'transaction');
      poolers.push(pooler);
      const store = new PostgresStore(pooler.url);
      try {
        await assert.rejects(store.migrate(), (error: unknown) => {
          assert.ok(error instanceof ConfigError, String(error));
          assert.match(error.message, /^database_url: PostgreSQL notifications do not reach .*transaction mode.*docs\/deployment\.md#pgbouncer\)$/);
          return true;
        });
      } finally {
        await store.close();
      }
      const direct = new PostgresStore(database.url);
      try {
        assert.equal((await direct.usernameCollisions().catch((error: Error) => error.message)).toString(), 'relation "users" does not exist', 'nothing was migrated');
      } finally {
        await direct.close();
      }
    });

    it('in session mode: it starts and migrates through the pooler', async () => {
      const pooler = await startPgBouncer(database.url, 'session');
      poolers.push(pooler);
      const store = new PostgresStore(pooler.url);
      try {
        await store.migrate();
        await store.ping();
      } finally {
        await store.close();
      }
    });
  });
}
