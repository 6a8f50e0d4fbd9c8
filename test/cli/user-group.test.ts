import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { runCli, tempDb } from '../helpers/cli.ts';
import { TEST_PASSWORD } from '../helpers/server.ts';

// docs/cli.md: `portcullis user …` and `portcullis group …`, spawned for real.
describe('portcullis user and group', () => {
  const tmp = tempDb();
  const data = ['--db', tmp.db];
  after(() => tmp.cleanup());

  test('groups: create, list, delete; Administrators cannot be deleted', async () => {
    for (const name of ['sales', 'support']) {
      const created = await runCli(['group', 'create', '--name', name, ...data]);
      assert.equal(created.code, 0, created.stderr);
      assert.equal(created.stdout, `created group ${name}\n`);
    }
    const duplicate = await runCli(['group', 'create', '--name', 'sales', ...data]);
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /^portcullis: [^\n]*sales[^\n]*\n$/);
    const invalid = await runCli(['group', 'create', '--name', 'bad/name', ...data]);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^portcullis: group names are [^\n]*\n$/);

    assert.deepEqual((await runCli(['group', 'list', '--json', ...data])).json(), ['sales', 'support']);
    const deleted = await runCli(['group', 'delete', '--name', 'support', '--json', ...data]);
    assert.deepEqual(deleted.json(), { name: 'support', deleted: true });
    assert.deepEqual((await runCli(['group', 'list', '--json', ...data])).json(), ['sales']);

    const builtIn = await runCli(['group', 'delete', '--name', 'Administrators', ...data]);
    assert.equal(builtIn.code, 1);
    assert.equal(builtIn.stderr, 'portcullis: Administrators is built in and cannot be deleted\n');
    const missing = await runCli(['group', 'delete', '--name', 'nobody', ...data]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'portcullis: no group nobody\n');
  });

  test('user create reads the password from stdin, never argv, and stores only a hash', async () => {
    const password = 'correct horse battery staple';
    const created = await runCli(['user', 'create', '--username', 'alice', '--password-stdin', '--groups', 'sales', '--json', ...data], {
      stdin: `${password}\n`,
    });
    assert.equal(created.code, 0, created.stderr);
    const user = created.json();
    assert.equal(user.username, 'alice');
    assert.deepEqual(user.groups, ['sales']);
    assert.equal(user.enabled, true);
    assert.ok(!created.stdout.includes(password));
    assert.ok(!readFileSync(tmp.db).includes(password));

    // A usage error, as a missing option is (docs/cli.md#exit-status).
    const withoutStdin = await runCli(['user', 'create', '--username', 'bob', ...data]);
    assert.equal(withoutStdin.code, 2);
    assert.equal(withoutStdin.stderr, 'portcullis: give the password on standard input with --password-stdin\n');
    // There is no way to pass a password in argv.
    const inArgv = await runCli(['user', 'create', '--username', 'bob', '--password', 'x', ...data]);
    assert.equal(inArgv.code, 2);
    const empty = await runCli(['user', 'create', '--username', 'bob', '--password-stdin', ...data], { stdin: '\n' });
    assert.equal(empty.code, 2);
    assert.equal(empty.stderr, 'portcullis: the password must not be empty\n');
    const unknownGroup = await runCli(['user', 'create', '--username', 'bob', '--password-stdin', '--groups', 'nope', ...data], { stdin: TEST_PASSWORD });
    assert.equal(unknownGroup.code, 1);
    assert.match(unknownGroup.stderr, /^portcullis: [^\n]*nope[^\n]*\n$/);
    const duplicate = await runCli(['user', 'create', '--username', 'alice', '--password-stdin', ...data], { stdin: TEST_PASSWORD });
    assert.equal(duplicate.code, 1);
    assert.match(duplicate.stderr, /^portcullis: [^\n]*alice[^\n]*\n$/);
  });

  test('passwd, list, groups, disable, enable and delete', async () => {
    const created = await runCli(['user', 'create', '--username', 'carol', '--password-stdin', ...data], { stdin: 'first password' });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'created user carol\n');
    const before = readFileSync(tmp.db);

    const passwd = await runCli(['user', 'passwd', '--username', 'carol', '--password-stdin', '--json', ...data], { stdin: 'second password\n' });
    assert.equal(passwd.code, 0, passwd.stderr);
    assert.deepEqual(passwd.json(), { username: 'carol', password_changed: true });
    assert.notDeepEqual(readFileSync(tmp.db), before);
    const passwdMissing = await runCli(['user', 'passwd', '--username', 'nobody', '--password-stdin', ...data], { stdin: 'x' });
    assert.equal(passwdMissing.code, 1);
    assert.equal(passwdMissing.stderr, 'portcullis: no user nobody\n');

    const groups = await runCli(['user', 'groups', '--username', 'carol', '--groups', 'sales', '--json', ...data]);
    assert.equal(groups.code, 0, groups.stderr);
    const disabled = await runCli(['user', 'disable', '--username', 'carol', ...data]);
    assert.equal(disabled.stdout, 'disabled user carol\n');
    let listed = (await runCli(['user', 'list', '--json', ...data])).json();
    let carol = listed.find((row: { username: string }) => row.username === 'carol');
    assert.deepEqual([carol.groups, carol.enabled], [['sales'], false]);
    for (const row of listed) assert.deepEqual(Object.keys(row).sort(), ['created_at', 'email', 'enabled', 'groups', 'name', 'source', 'username'], 'never a hash');

    await runCli(['user', 'enable', '--username', 'carol', ...data]);
    await runCli(['user', 'groups', '--username', 'carol', '--groups', '', ...data]);
    listed = (await runCli(['user', 'list', '--json', ...data])).json();
    carol = listed.find((row: { username: string }) => row.username === 'carol');
    assert.deepEqual([carol.groups, carol.enabled], [[], true]);

    const human = await runCli(['user', 'list', ...data]);
    assert.match(human.stdout, /^username\s+groups\s+enabled\s+source\n/);

    const deleted = await runCli(['user', 'delete', '--username', 'carol', '--json', ...data]);
    assert.deepEqual(deleted.json(), { username: 'carol', deleted: true });
    const again = await runCli(['user', 'delete', '--username', 'carol', ...data]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'portcullis: no user carol\n');
    const missingOption = await runCli(['user', 'delete', ...data]);
    assert.equal(missingOption.code, 2);
  });
  test('user create --name --email, user profile sets and clears them (userinfo claims)', async () => {
    const created = await runCli(['user', 'create', '--username', 'olga', '--password-stdin', '--name', 'Olga K', '--email', 'olga@example.org', '--json', ...data], {
      stdin: 'olga-password-1\n',
    });
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.json().name, 'Olga K');
    assert.equal(created.json().email, 'olga@example.org');
    const cleared = await runCli(['user', 'profile', '--username', 'olga', '--email', '', '--name', 'Olga Karlsson', '--json', ...data]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal(cleared.json().name, 'Olga Karlsson');
    assert.equal(cleared.json().email, null);
    const bad = await runCli(['user', 'profile', '--username', 'olga', '--email', 'not an address', ...data]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /email must be an address/);
  });
});
