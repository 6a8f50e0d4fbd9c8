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
      const outcome = JSON.parse(migrated.stdout);
      assert.equal(outcome.store, 'postgres');
      assert.equal(outcome.outcome, 'created');
      // Where, without the URL's credentials.
      assert.match(outcome.database, /^PostgreSQL database \S+ on 127\.0\.0\.1:5432$/);

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
    assert.match(result.stderr, /^portcullis: --database-url: cannot reach PostgreSQL database none on 127\.0\.0\.1:1: nothing listens at that address/);
  });

  it('a mistyped host names the setting and the host, not "getaddrinfo ENOTFOUND"', () => {
    const result = portcullis(['group', 'list'], { PORTCULLIS_DATABASE_URL: 'postgres://postgres:hunter2@db.invalid:5432/portcullis' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr,
      'portcullis: PORTCULLIS_DATABASE_URL: cannot reach PostgreSQL database portcullis on db.invalid:5432: the host name does not resolve (ENOTFOUND)\n',
    );
  });

  it('an empty schema is not made a Portcullis database without --create', async () => {
    const database = await createTestDatabase();
    try {
      const refused = portcullis(['group', 'create', '--name', 'ops', '--database-url', database.url]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /there is no database at PostgreSQL database/);
      const created = portcullis(['group', 'create', '--name', 'ops', '--create', '--database-url', database.url]);
      assert.equal(created.code, 0, created.stderr);
    } finally {
      await database.drop();
    }
  });
});
