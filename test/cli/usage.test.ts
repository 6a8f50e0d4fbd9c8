import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, tempDb } from '../helpers/cli.ts';

// docs/cli.md: exit status 0 on success, 1 on a user error, 2 on usage errors.
describe('portcullis usage and migrate', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  test('unknown command, unknown option, no command → 2', async () => {
    for (const args of [['frobnicate'], ['user', 'list', '--colour'], []]) {
      const result = await runCli(args, { cwd: tmp.dir });
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
    }
    const unknown = await runCli(['frobnicate'], { cwd: tmp.dir });
    assert.match(unknown.stderr, /unknown command 'frobnicate'/);
    assert.equal(unknown.stdout, '');
  });

  test('--help and --version → 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['serve', 'migrate', 'apply', 'client', 'user', 'group', 'scope', 'token']) {
      assert.match(help.stdout, new RegExp(`^\\s+${command}\\b`, 'm'));
    }
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const subHelp = await runCli(['client', 'create', '--help']);
    assert.equal(subHelp.code, 0);
    assert.match(subHelp.stdout, /--version <version>/);
  });

  test('migrate creates the database file (and its folder) and is repeatable', async () => {
    const db = join(tmp.dir, 'nested', 'portcullis.db');
    const first = await runCli(['migrate', '--db', db]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^created SQLite file ${db.replace(/[.\\]/g, '\\$&')} \\(schema version \\d+\\)\n$`));
    assert.ok(existsSync(db));
    const again = await runCli(['migrate', '--json'], { env: { PORTCULLIS_DB: db } });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(again.json(), { store: 'sqlite', database: `SQLite file ${db}`, outcome: 'up to date', applied: [] });
    const human = await runCli(['migrate', '--db', db]);
    assert.equal(human.stdout, `SQLite file ${db} is up to date\n`);
  });

  test('without --db or PORTCULLIS_DB the database is ./data/portcullis.db', async () => {
    const result = await runCli(['migrate'], { cwd: tmp.dir });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(existsSync(join(tmp.dir, 'data', 'portcullis.db')));
  });
});
