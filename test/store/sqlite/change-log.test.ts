import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../src/store/sqlite/sqlite-store.ts';
import { runCli } from '../../helpers/cli.ts';
import { TEST_PASSWORD } from '../../helpers/server.ts';
import { client, grant, NOW, saveGrant, user } from '../contract-fixtures.ts';

// docs/architecture.md (Storage): every process on one SQLite file (`serve --workers N`, the CLI)
// reads what the others' commits changed from cache_changes (migration 0016) and drops just that.
describe('SQLite read caches of several processes on one file', () => {
  let dir: string;
  let path: string;
  let a: SqliteStore;
  let b: SqliteStore;
  /** A plain connection of its own, as any other program on the file would have. */
  let raw: Database.Database;
  const logged = () => raw.prepare('SELECT count(*) FROM cache_changes').pluck().get() as number;
  const stats = (store: SqliteStore) => store.cacheStatistics()!;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-change-log-'));
    path = join(dir, 'portcullis.db');
    a = new SqliteStore(path);
    await a.migrate();
    b = new SqliteStore(path);
    await b.migrate();
    raw = new Database(path);
  });
  afterEach(async () => {
    raw.close();
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("another process's revocation, client change and user change are seen by the next request, dropping only those entries", async () => {
    const app = client();
    const bystander = client();
    await a.createClient(app);
    await a.createClient(bystander);
    await a.createUser(user('carol'));
    const g = await saveGrant(a, grant(app.id, 'carol'));
    a.startRequest();
    assert.equal((await a.findToken(g.access.hash))?.familyRevokedAt, null);
    assert.equal((await a.findClient(app.id))?.enabled, true);
    const { clears } = stats(a);

    await b.revokeFamily(g.family.id, NOW + 5);
    a.startRequest();
    assert.equal((await a.findToken(g.access.hash))?.familyRevokedAt, NOW + 5);

    await b.updateClient(app.id, { enabled: false });
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, false);

    await b.updateUser('carol', { enabled: false });
    a.startRequest();
    assert.equal((await a.findToken(g.access.hash))?.userEnabled, false);

    // A token revoked alone (here by plain SQL) drops that token's view, nothing else.
    const other = await saveGrant(a, grant(bystander.id, null));
    a.startRequest();
    assert.equal((await a.findToken(other.access.hash))?.revokedAt, null);
    await a.findClient(bystander.id);
    const loads = stats(a).loads;
    raw.prepare('UPDATE tokens SET revoked_at = ? WHERE hash = ?').run(NOW + 9, Buffer.from(other.access.hash, 'base64url'));
    a.startRequest();
    assert.equal((await a.findToken(other.access.hash))?.revokedAt, NOW + 9);
    await a.findClient(bystander.id);
    assert.equal(stats(a).loads, loads + 1, 'the token read again, the client still cached');
    assert.equal(stats(a).clears, clears, 'entries dropped, never every cache');
  });

  it('two processes issuing tokens leave each other\'s caches alone, and log nothing', async () => {
    // Made by a third process (the CLI, say): a process's own logged writes would be read once
    // more, harmlessly, at its first check after another's commit.
    const app = client();
    const cli = new SqliteStore(path);
    await cli.createClient(app);
    await cli.close();
    const before = logged();
    for (const store of [a, b]) {
      store.startRequest();
      await store.findClient(app.id);
    }
    const [loadsA, loadsB] = [stats(a).loads, stats(b).loads];
    for (let i = 0; i < 5; i++) {
      for (const [writer, reader] of [[a, b], [b, a]] as const) {
        await saveGrant(writer, grant(app.id, null));
        reader.startRequest();
        assert.equal((await reader.findClient(app.id))?.id, app.id);
      }
    }
    assert.equal(stats(a).loads, loadsA, 'served from the cache');
    assert.equal(stats(b).loads, loadsB, 'served from the cache');
    assert.equal(stats(a).clears + stats(b).clears, 0);
    assert.equal(logged(), before);
  });

  it('a change made by the CLI is seen by the next request', async () => {
    const app = client();
    await a.createClient(app);
    await a.createUser(user('dave'));
    const g = await saveGrant(a, grant(app.id, 'dave', { at: Math.floor(Date.now() / 1000) }));
    a.startRequest();
    assert.equal((await a.findToken(g.access.hash))?.familyRevokedAt, null);
    assert.equal((await a.findClient(app.id))?.enabled, true);

    const passwd = await runCli(['user', 'passwd', '--username', 'dave', '--password-stdin', '--db', path], { stdin: `${TEST_PASSWORD}\n` });
    assert.equal(passwd.code, 0, passwd.stderr);
    a.startRequest();
    assert.notEqual((await a.findToken(g.access.hash))?.familyRevokedAt, null, 'a new password ends every token of the user');

    const disabled = await runCli(['client', 'disable', app.id, '--db', path]);
    assert.equal(disabled.code, 0, disabled.stderr);
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, false);
  });

  it("another process's commit is seen after this process's own writes and quiet checks, whichever came last", async () => {
    // The check before a request's first lookup skips the pragma while the WAL-index header is
    // unchanged (src/store/sqlite/read-caches.ts): own commits, and checks with nothing committed, must not hide a later foreign commit.
    const app = client();
    await a.createClient(app);
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, true);
    for (let quiet = 0; quiet < 3; quiet++) {
      a.startRequest();
      assert.equal((await a.findClient(app.id))?.enabled, true);
    }
    await a.createUser(user('erin'));
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, true);

    raw.prepare('UPDATE clients SET enabled = 0 WHERE id = ?').run(app.id);
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, false, 'plain SQL by another connection');

    await a.updateClient(app.id, { enabled: true });
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, true);
    await b.updateClient(app.id, { enabled: false });
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, false, 'another store on the file');
  });

  it('the log keeps its last 1000 rows; a process that missed trimmed ones clears every cache', async () => {
    const app = client();
    await a.createClient(app);
    a.startRequest();
    await a.findClient(app.id);
    const { clears } = stats(a);
    const describe = raw.prepare('UPDATE clients SET description = ? WHERE id = ?');
    raw.transaction(() => {
      for (let i = 0; i < 1_500; i++) describe.run(`change ${i}`, app.id);
    })();
    assert.equal(logged(), 1_000);
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.description, 'change 1499');
    assert.equal(stats(a).clears, clears + 1);

    // Caught up: the next change is read from the log again.
    raw.prepare('UPDATE clients SET enabled = 0 WHERE id = ?').run(app.id);
    a.startRequest();
    assert.equal((await a.findClient(app.id))?.enabled, false);
    assert.equal(stats(a).clears, clears + 1);
  });

  it('without the triggers of a rebuilt table, any commit by another process clears every cache', async () => {
    raw.exec('DROP TRIGGER portcullis_cache_token_changed; DROP TRIGGER portcullis_cache_token_deleted');
    const c = new SqliteStore(path);
    await c.migrate();
    try {
      const app = client();
      await c.createClient(app);
      const g = await saveGrant(c, grant(app.id, null));
      c.startRequest();
      assert.equal((await c.findToken(g.access.hash))?.revokedAt, null);
      const { clears } = stats(c);
      raw.prepare('UPDATE tokens SET revoked_at = ? WHERE hash = ?').run(NOW + 3, Buffer.from(g.access.hash, 'base64url'));
      c.startRequest();
      assert.equal((await c.findToken(g.access.hash))?.revokedAt, NOW + 3);
      assert.equal(stats(c).clears, clears + 1);
    } finally {
      await c.close();
    }
  });
});
