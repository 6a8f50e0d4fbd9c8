import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempDb } from '../helpers/cli.ts';
import { createTestDatabase, requirePostgres } from '../helpers/postgres.ts';
import { startServerProcess } from '../helpers/processes.ts';

const withPostgres = await requirePostgres('server key on PostgreSQL');

/** `serve` that is expected to stop at start-up: its exit code and what it printed. */
function serveFailing(env: Record<string, string>) {
  return runCli(['serve', '--port', '0'], { env: { PORTCULLIS_CONFIG: '/dev/null', PORTCULLIS_LOG_LEVEL: 'warn', ...env } });
}

describe('the server key (docs/security.md)', () => {
  const temp = tempDb();
  after(() => temp.cleanup());
  const keyFile = join(temp.dir, 'portcullis.key');

  it('is created beside the SQLite database at the first start, readable by its owner only, and kept', async () => {
    const first = await startServerProcess({ PORTCULLIS_DB: temp.db });
    await first.stop();
    const key = readFileSync(keyFile, 'utf8');
    assert.match(key, /^[A-Za-z0-9_-]{43}\n$/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const second = await startServerProcess({ PORTCULLIS_DB: temp.db });
    await second.stop();
    assert.equal(readFileSync(keyFile, 'utf8'), key, 'the second start reuses the key');
  });

  it('stops start-up, naming the setting, when the key is lost or another one is given', async () => {
    const saved = readFileSync(keyFile, 'utf8');
    const other = await serveFailing({ PORTCULLIS_DB: temp.db, PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64') });
    assert.equal(other.code, 1, other.stderr);
    assert.match(other.stderr, /server key \(PORTCULLIS_SECRET_KEY\) is not the one this database was set up with/);
    assert.ok(!other.stderr.includes(saved.trim()));

    rmSync(keyFile);
    const lost = await serveFailing({ PORTCULLIS_DB: temp.db });
    assert.equal(lost.code, 1, lost.stderr);
    assert.match(lost.stderr, /server key file .*portcullis\.key is missing, and this database was set up with a server key/);
    assert.throws(() => statSync(keyFile), /ENOENT/, 'no new key was made in its place');

    writeFileSync(keyFile, 'not a key\n');
    const garbled = await serveFailing({ PORTCULLIS_DB: temp.db });
    assert.equal(garbled.code, 1);
    assert.match(garbled.stderr, /must be a 32-byte key in base64 or hex/);

    writeFileSync(keyFile, saved, { mode: 0o600 });
    const restored = await startServerProcess({ PORTCULLIS_DB: temp.db });
    await restored.stop();
  });

  it('is never read from the config file, where it would sit in clear beside the settings', async () => {
    const yaml = join(temp.dir, 'with-key.yaml');
    writeFileSync(yaml, `secret_key: ${randomBytes(32).toString('base64')}\n`);
    const refused = await serveFailing({ PORTCULLIS_DB: temp.db, PORTCULLIS_CONFIG: yaml });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /secret_key cannot be written in the config file; set PORTCULLIS_SECRET_KEY or secret_key_file/);
  });

  it('may be given in the environment, in hex, instead of the file', async () => {
    const fresh = tempDb();
    try {
      const key = randomBytes(32).toString('hex');
      const server = await startServerProcess({ PORTCULLIS_DB: fresh.db, PORTCULLIS_SECRET_KEY: key });
      await server.stop();
      assert.throws(() => statSync(join(fresh.dir, 'portcullis.key')), /ENOENT/, 'no key file when the key is in the environment');
    } finally {
      fresh.cleanup();
    }
  });

  describe('on PostgreSQL', () => {
    if (!withPostgres) return;

    it('is required, and must be the same on every instance', async () => {
      const database = await createTestDatabase();
      try {
        const none = await serveFailing({ PORTCULLIS_DATABASE_URL: database.url });
        assert.equal(none.code, 1);
        assert.match(none.stderr, /PostgreSQL needs a server key shared by every instance: set PORTCULLIS_SECRET_KEY or secret_key_file/);
        const first = await startServerProcess(database.env);
        await first.stop();
        const other = await serveFailing({ PORTCULLIS_DATABASE_URL: database.url, PORTCULLIS_SECRET_KEY: randomBytes(32).toString('base64url') });
        assert.equal(other.code, 1);
        assert.match(other.stderr, /is not the one this database was set up with/);
      } finally {
        await database.drop();
      }
    });
  });
});
