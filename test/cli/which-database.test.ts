import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDb } from '../helpers/cli.ts';

// docs/cli.md#which-database: the CLI finds the database as `serve` does, names it when no flag
// did, and does not quietly make a new one.
describe('which database the CLI uses', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  test('a data command in a folder without a database refuses, exit 2, and creates nothing', async () => {
    const elsewhere = join(tmp.dir, 'elsewhere');
    mkdirSync(elsewhere);
    const result = await runCli(['client', 'create', '--name', 'demo', '--type', 'confidential', '--grants', 'client_credentials'], { cwd: elsewhere });
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '', 'no secret is printed');
    assert.match(result.stderr, /^portcullis: there is no database at SQLite file \.\/data\/portcullis\.db \(the default, in .*elsewhere\)\..*--create makes a new database\.\n$/);
    assert.ok(!existsSync(join(elsewhere, 'data')));

    const created = await runCli(['group', 'create', '--name', 'ops', '--create'], { cwd: elsewhere });
    assert.equal(created.code, 0, created.stderr);
    assert.ok(existsSync(join(elsewhere, 'data', 'portcullis.db')));
    assert.equal(created.stderr, 'portcullis: using SQLite file ./data/portcullis.db (the default)\n');
  });

  test('portcullis.yaml in the working directory names the database, as for serve; writes say so', async () => {
    const project = join(tmp.dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'portcullis.yaml'), 'db: ./state/server.db\n');
    assert.equal((await runCli(['migrate'], { cwd: project })).code, 0);
    assert.ok(existsSync(join(project, 'state', 'server.db')));

    const written = await runCli(['group', 'create', '--name', 'staff'], { cwd: project });
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stderr, 'portcullis: using SQLite file ./state/server.db (portcullis.yaml: db)\n');
    // Reads do not repeat it; a flag is obvious enough.
    const read = await runCli(['group', 'list', '--json'], { cwd: project });
    assert.equal(read.stderr, '');
    assert.ok(JSON.stringify(read.json()).includes('staff'));
    const flagged = await runCli(['group', 'create', '--name', 'ops', '--db', join(project, 'state', 'server.db')]);
    assert.equal(flagged.code, 0, flagged.stderr);
    assert.equal(flagged.stderr, '');

    const viaEnv = await runCli(['group', 'create', '--name', 'sales'], { env: { PORTCULLIS_DB: join(project, 'state', 'server.db') } });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.match(viaEnv.stderr, /^portcullis: using SQLite file .*server\.db \(PORTCULLIS_DB\)\n$/);
  });
});
