import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { readMigrations } from '../../src/store/sql/migrations.ts';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.ts';
import { spawnSyncBounded } from '../helpers/processes.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'portcullis.mjs');

function portcullis(args: string[], env: Record<string, string> = {}) {
  const result = spawnSyncBounded(process.execPath, [BIN, ...args], {
    env: { ...process.env, PORTCULLIS_CONFIG: '/dev/null', ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const withPostgres = await requirePostgres('CLI on PostgreSQL');

describe('the CLI on PostgreSQL', () => {
  if (!withPostgres) return;

  it('migrate --database-url creates the schema; data commands then work on it', async () => {
    const database = await createTestDatabase();
    try {
      const migrated = portcullis(['migrate', '--database-url', database.url, '--json']);
      assert.equal(migrated.code, 0, migrated.stderr);
      assert.deepEqual(JSON.parse(migrated.stdout), { store: 'postgres', migrated: true });

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      try {
        const { rows } = await client.query('SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(
          rows.map((row) => row.version),
          readMigrations().map((migration) => migration.version),
        );
      } finally {
        await client.end();
      }

      // The environment variable works as the flag does.
      const created = portcullis(['group', 'create', '--name', 'ops', '--json'], { PORTCULLIS_DATABASE_URL: database.url });
      assert.equal(created.code, 0, created.stderr);
      const listed = portcullis(['group', 'list', '--json', '--database-url', database.url]);
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(JSON.stringify(JSON.parse(listed.stdout)).includes('ops'));
      const purged = portcullis(['token', 'purge', '--json', '--database-url', database.url]);
      assert.equal(purged.code, 0, purged.stderr);
      assert.deepEqual(JSON.parse(purged.stdout), { removed: 0 });
    } finally {
      await database.drop();
    }
  });

  it('an unreachable database is one clear error line and exit status 1', () => {
    const result = portcullis(['migrate', '--database-url', 'postgres://postgres@127.0.0.1:1/none']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  });
});
