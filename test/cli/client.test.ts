import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { runCli, tempDb } from '../helpers/cli.ts';

// docs/cli.md: `portcullis client …`, spawned for real, against a temporary SQLite file.
describe('portcullis client', () => {
  const tmp = tempDb();
  const data = ['--db', tmp.db];
  before(async () => {
    const scope = await runCli(['scope', 'create', '--name', 'orders', '--resources', 'orders', ...data]);
    assert.equal(scope.code, 0, scope.stderr);
  });
  after(() => tmp.cleanup());

  test('create confidential --json prints client_id and client_secret, once', async () => {
    const created = await runCli([
      'client', 'create', '--name', 'Shop', '--version', '1.0', '--type', 'confidential',
      '--grants', 'password,refresh_token', '--scopes', 'orders', '--refresh-limit', '3', '--access-ttl', '600', '--json', ...data,
    ]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stderr, '');
    const body = created.json();
    assert.deepEqual(Object.keys(body).sort(), ['client_id', 'client_secret']);
    assert.match(body.client_secret, /^[A-Za-z0-9_-]{43}$/, '256 random bits, base64url');

    const shown = await runCli(['client', 'show', body.client_id, '--json', ...data]);
    assert.equal(shown.code, 0, shown.stderr);
    const client = shown.json();
    assert.equal(client.name, 'Shop');
    assert.equal(client.version, '1.0');
    assert.equal(client.type, 'confidential');
    assert.deepEqual(client.grants, ['password', 'refresh_token']);
    assert.deepEqual(client.scopes, ['orders']);
    assert.equal(client.refresh_limit, 3);
    assert.equal(client.access_token_ttl, 600);
    assert.equal(client.enabled, true);
    // The secret is shown once: never again by show or list, and never stored in the clear.
    const listed = await runCli(['client', 'list', '--json', ...data]);
    for (const output of [shown.stdout, listed.stdout]) assert.ok(!output.includes(body.client_secret));
    assert.ok(!readFileSync(tmp.db).includes(body.client_secret));
    assert.ok(listed.json().some((row: { client_id: string }) => row.client_id === body.client_id));
  });

  test('create public --json prints client_id only; human output names the id', async () => {
    const created = await runCli(['client', 'create', '--name', 'Mobile', '--type', 'public', '--grants', 'password', '--json', ...data]);
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(Object.keys(created.json()), ['client_id']);

    const human = await runCli(['client', 'create', '--name', 'Cli', '--type', 'public', '--grants', 'password', ...data]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^client_id: \S+\n$/);
  });

  test('the authorization_code grant: --redirect-uris and --consent on create and update, checked', async () => {
    const created = await runCli([
      'client', 'create', '--name', 'Spa', '--type', 'public', '--grants', 'authorization_code,refresh_token',
      '--redirect-uris', 'https://app.example/cb,http://127.0.0.1/native', '--consent', 'skip', '--json', ...data,
    ]);
    assert.equal(created.code, 0, created.stderr);
    const id = created.json().client_id as string;
    const shown = (await runCli(['client', 'show', id, '--json', ...data])).json();
    assert.deepEqual(shown.grants, ['authorization_code', 'refresh_token']);
    assert.deepEqual(shown.redirect_uris, ['https://app.example/cb', 'http://127.0.0.1/native']);
    assert.equal(shown.consent, 'skip');

    const updated = await runCli(['client', 'update', id, '--redirect-uris', 'com.example.app:/oauth', '--consent', 'always', '--json', ...data]);
    assert.equal(updated.code, 0, updated.stderr);
    assert.deepEqual(updated.json().redirect_uris, ['com.example.app:/oauth']);
    assert.equal(updated.json().consent, 'always');

    for (const [args, message] of [
      [['--redirect-uris', 'http://app.example/cb'], /http redirect URIs are allowed only to 127\.0\.0\.1/],
      [['--redirect-uris', 'https://app.example/cb#top'], /must not have a fragment/],
      [['--redirect-uris', 'javascript:alert(1)'], /private-use scheme/],
      [['--redirect-uris', ''], /needs at least one redirect URI/],
      [['--consent', 'sometimes'], /consent must be one of always, remember, skip/],
    ] as const) {
      const refused = await runCli(['client', 'update', id, ...args, ...data]);
      assert.equal(refused.code, 1, args.join(' '));
      assert.match(refused.stderr, message);
    }
    const noRedirect = await runCli(['client', 'create', '--name', 'Spa2', '--type', 'public', '--grants', 'authorization_code', ...data]);
    assert.equal(noRedirect.code, 1);
    assert.match(noRedirect.stderr, /the authorization_code grant needs at least one redirect URI/);
  });

  test('update, disable, enable, rotate-secret and delete', async () => {
    const { client_id: id, client_secret: first } = (
      await runCli(['client', 'create', '--name', 'Batch', '--type', 'confidential', '--grants', 'client_credentials', '--json', ...data])
    ).json();

    const updated = await runCli(
      ['client', 'update', id, '--version', '3', '--grants', 'client_credentials,password', '--access-ttl', 'never', '--refresh-limit', '0', '--introspect', '--json', ...data],
    );
    assert.equal(updated.code, 0, updated.stderr);
    const after = updated.json();
    assert.equal(after.version, '3');
    assert.deepEqual(after.grants, ['client_credentials', 'password']);
    assert.equal(after.access_token_ttl, 'never');
    assert.equal(after.refresh_limit, 0);
    assert.equal(after.introspect, true);

    const untouched = (await runCli(['client', 'update', id, '--description', 'nightly', '--json', ...data])).json();
    assert.deepEqual([untouched.description, untouched.introspect, untouched.version], ['nightly', true, '3'], 'only what is given changes');
    assert.equal((await runCli(['client', 'update', id, '--no-introspect', '--json', ...data])).json().introspect, false);

    const disabled = await runCli(['client', 'disable', id, '--json', ...data]);
    assert.deepEqual(disabled.json(), { client_id: id, enabled: false });
    assert.equal((await runCli(['client', 'show', id, '--json', ...data])).json().enabled, false);
    const enabled = await runCli(['client', 'enable', id, ...data]);
    assert.equal(enabled.code, 0);
    assert.equal(enabled.stdout, `enabled client ${id}\n`);

    const rotated = await runCli(['client', 'rotate-secret', id, '--json', ...data]);
    assert.equal(rotated.code, 0, rotated.stderr);
    const { client_secret: second } = rotated.json();
    assert.match(second, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(second, first);

    const deleted = await runCli(['client', 'delete', id, '--json', ...data]);
    assert.deepEqual(deleted.json(), { client_id: id, deleted: true });
    const gone = await runCli(['client', 'show', id, ...data]);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, `portcullis: no client ${id}\n`);
  });

  test('a duplicate name without a version says so, without a dangling "version"', async () => {
    assert.equal((await runCli(['client', 'create', '--name', 'mobile-app', '--type', 'public', '--grants', 'password', ...data])).code, 0);
    const again = await runCli(['client', 'create', '--name', 'mobile-app', '--type', 'public', '--grants', 'password', ...data]);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'portcullis: a client named mobile-app already exists\n');
  });

  test('user errors exit 1 with one line on stderr', async () => {
    const cases: [string[], RegExp][] = [
      [['client', 'create', '--name', 'X', '--type', 'secretive', '--grants', 'password'], /type must be confidential or public/],
      [['client', 'create', '--name', 'X', '--type', 'public', '--grants', 'implicit'], /unknown grant implicit/],
      [['client', 'create', '--name', 'X', '--type', 'public', '--grants', 'client_credentials'], /public client cannot use the client_credentials/],
      [['client', 'create', '--name', 'Shop', '--version', '1.0', '--type', 'public', '--grants', 'password'], /a client named Shop, version 1\.0, already exists/],
      [['client', 'create', '--name', 'X', '--type', 'public', '--grants', 'password', '--access-ttl', '-5'], /access-token lifetime/],
      [['client', 'rotate-secret', 'no-such-client'], /no client no-such-client/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...args, ...data]);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, /^portcullis: [^\n]+\n$/, `exactly one line: ${JSON.stringify(result.stderr)}`);
      assert.match(result.stderr, message);
    }
  });

  test('usage errors exit 2', async () => {
    for (const args of [
      ['client', 'create', '--type', 'public', '--grants', 'password'], // --name missing
      ['client', 'frobnicate'],
      ['client', 'show'], // the client_id argument missing
      ['client', 'create', '--name', 'X', '--type', 'public', '--grants', 'password', '--colour', 'red'],
    ]) {
      const result = await runCli([...args, ...data]);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.notEqual(result.stderr, '');
    }
  });
});
