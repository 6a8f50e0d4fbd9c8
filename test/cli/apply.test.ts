import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, startServe, tempDb } from '../helpers/cli.ts';
import { postForm } from '../helpers/server.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../examples/setup.yaml');
const ENV = { ALICE_PASSWORD: 'alice-password-from-env', SHOP_SECRET: 'shop-secret-from-the-environment' };

// docs/cli.md `portcullis apply -f`: the example file, applied twice, then used for real.
describe('portcullis apply -f examples/setup.yaml', () => {
  const tmp = tempDb();
  const data = ['--db', tmp.db];
  after(() => tmp.cleanup());

  test('creates everything, prints the generated secret once, and a second run creates nothing and ends no token', async () => {
    const first = await runCli(['apply', '-f', EXAMPLE, ...data], { env: ENV });
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    for (const line of ['settings updated', 'group sales created', 'group warehouse created', 'scope orders:read created', 'user alice created', 'user bob created', 'client Shop 2.1 (shop-web) created']) {
      assert.ok(first.stdout.includes(`${line}\n`), `${line} in:\n${first.stdout}`);
    }
    assert.match(first.stdout, /new secrets \(shown only now\):\n/);
    const generated = /^client Reporting: client_id (\S+) client_secret (\S+)$/m.exec(first.stdout);
    assert.ok(generated, first.stdout);
    const [, reportingId, reportingSecret] = generated;
    assert.match(reportingSecret!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(first.stdout.match(/client_secret/g)?.length, 1, 'only the generated secret is printed, not the imported one');
    assert.ok(!first.stdout.includes(ENV.SHOP_SECRET) && !first.stdout.includes(ENV.ALICE_PASSWORD));
    const database = readFileSync(tmp.db);
    for (const secret of [ENV.SHOP_SECRET, ENV.ALICE_PASSWORD, reportingSecret!]) assert.ok(!database.includes(secret));

    const clients = (await runCli(['client', 'list', '--json', ...data])).json();
    const shop = (await runCli(['client', 'show', 'shop-web', '--json', ...data])).json();
    assert.deepEqual(
      [shop.name, shop.version, shop.type, shop.grants, shop.scopes, shop.access_token_ttl, shop.refresh_limit, shop.refresh_token_ttl],
      ['Shop', '2.1', 'confidential', ['password', 'refresh_token'], ['orders:read', 'orders:write'], 900, 10, 86400],
    );
    const spa = (await runCli(['client', 'show', 'shop-spa', '--json', ...data])).json();
    assert.deepEqual([spa.type, spa.grants, spa.redirect_uris, spa.consent], [
      'public',
      ['authorization_code', 'refresh_token'],
      ['https://shop.example/callback', 'http://127.0.0.1/callback'],
      'remember',
    ]);
    const reporting = (await runCli(['client', 'show', reportingId!, '--json', ...data])).json();
    assert.deepEqual([reporting.introspect, reporting.service_user], [true, 'bob']);
    const scopes = (await runCli(['scope', 'list', '--json', ...data])).json();
    assert.deepEqual(scopes.find((scope: { name: string }) => scope.name === 'orders:write').resources, ['orders', '* /rest/orders/**']);

    // Use what the file set up: alice (password from env) and bob (imported hash) through Shop.
    const serve = await startServe(data, { cwd: tmp.dir, env: { PORTCULLIS_ADMIN_PASSWORD: 'admin-password-for-apply' } });
    try {
      const token = (username: string, password: string) =>
        postForm(`${serve.url}/oauth/token`, { grant_type: 'password', username, password }, { basic: ['shop-web', ENV.SHOP_SECRET] });
      const alice = await token('alice', ENV.ALICE_PASSWORD);
      assert.equal(alice.status, 200, alice.text);
      assert.equal(alice.body.expires_in, 900);
      const bob = await token('bob', 'imported-password-from-is');
      assert.equal(bob.status, 200, bob.text);

      const auditBefore = (await runCli(['audit', 'tail', '--limit', '500', '--json', ...data])).json();
      const second = await runCli(['apply', '-f', EXAMPLE, '--json', ...data], { env: ENV });
      assert.equal(second.code, 0, second.stderr);
      const result = second.json();
      assert.deepEqual(result.secrets, [], 'no new secret the second time');
      // "Applying twice changes nothing" (docs/cli.md#apply): every record unchanged, no audit record written.
      const changed = result.changes.filter((change: { outcome: string }) => change.outcome !== 'unchanged');
      assert.deepEqual(changed, [], JSON.stringify(result.changes));
      assert.ok(result.changes.length >= 8);
      assert.deepEqual(Object.keys(result.changes[0]).sort(), ['kind', 'name', 'outcome']);
      const auditAfter = (await runCli(['audit', 'tail', '--limit', '500', '--json', ...data])).json();
      assert.equal(auditAfter.length, auditBefore.length, 'the second apply wrote no audit record');
      const human = await runCli(['apply', '-f', EXAMPLE, ...data], { env: ENV });
      assert.match(human.stdout, /^settings unchanged\ngroup sales unchanged\n/);
      assert.match(human.stdout, /\nclient Shop 2\.1 \(shop-web\) unchanged\n/);
      assert.deepEqual((await runCli(['client', 'list', '--json', ...data])).json().length, clients.length);

      // The second run ended no token and kept the imported secret working.
      for (const live of [alice.body.access_token, alice.body.refresh_token] as string[]) {
        const state = await postForm(`${serve.url}/oauth/introspect`, { token: live }, { basic: ['shop-web', ENV.SHOP_SECRET] });
        assert.equal(state.body.active, true, state.text);
      }
      const refreshed = await postForm(
        `${serve.url}/oauth/token`,
        { grant_type: 'refresh_token', refresh_token: alice.body.refresh_token as string },
        { basic: ['shop-web', ENV.SHOP_SECRET] },
      );
      assert.equal(refreshed.status, 200, refreshed.text);
      const reportingToken = await postForm(
        `${serve.url}/oauth/token`,
        { grant_type: 'client_credentials' },
        { basic: [reportingId!, reportingSecret!] },
      );
      assert.equal(reportingToken.status, 200, 'the generated secret still works after the second run');
    } finally {
      await serve.stop();
    }
  });
});

describe('portcullis apply: errors name the path', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());
  let files = 0;

  async function applyText(text: string, env: Record<string, string> = {}) {
    const file = join(tmp.dir, `setup-${++files}.yaml`);
    writeFileSync(file, text);
    return runCli(['apply', '-f', file, '--db', tmp.db], { env });
  }

  // Every error of the file format is covered in-process by test/manage/apply.test.ts; these check
  // that the CLI turns them into exit 1 and one line.
  const cases: [string, string, RegExp][] = [
    ['unknown client key', 'clients:\n  - name: A\n    type: public\n    grants: [password]\n    colour: red\n', /^clients\[0\]: unknown key colour$/],
    ['second client bad', 'clients:\n  - name: A\n    type: public\n    grants: [password]\n  - name: B\n    version: "1"\n    type: public\n    grants: [implicit]\n', /^clients\[1\] \(B 1\): unknown grant implicit/],
    ['not YAML', 'clients: [\n', /^not valid YAML/],
  ];
  for (const [name, text, message] of cases) {
    test(`${name} → exit 1, one line`, async () => {
      const result = await applyText(text, { SOME_SECRET: 'a-secret-of-sixteen-or-more' });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /^portcullis: [^\n]+\n$/, JSON.stringify(result.stderr));
      assert.match(result.stderr.slice('portcullis: '.length).trimEnd(), message);
    });
  }

  test('a missing file is a user error; a missing -f a usage error', async () => {
    const missing = await runCli(['apply', '-f', join(tmp.dir, 'absent.yaml'), '--db', tmp.db]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^portcullis: cannot read \S+absent\.yaml\n$/);
    assert.equal((await runCli(['apply', '--db', tmp.db])).code, 2);
  });
});

// docs/cli.md "Apply file format": the fields of JWT access tokens, signing keys and OpenID Connect.
describe('portcullis apply: token format, signing settings, user profile, introspect_always', () => {
  const tmp = tempDb();
  const data = ['--db', tmp.db];
  after(() => tmp.cleanup());

  test('are read from the file and shown back', async () => {
    const file = join(tmp.dir, 'jwt.yaml');
    writeFileSync(
      file,
      [
        'settings:',
        '  signing_key_algorithm: EdDSA',
        '  signing_key_publish_delay: 120',
        '  audiences: [https://api.example.com/orders]',
        'users:',
        '  - username: zoe',
        '    password_env: ZOE_PASSWORD',
        '    name: Zoe Z',
        '    email: zoe@example.org',
        'clients:',
        '  - name: jwt-app',
        '    type: confidential',
        '    grants: [client_credentials]',
        '    token_format: jwt',
        'services:',
        '  - name: orders:get',
        '    upstream: http://127.0.0.1:9/orders',
        '    introspect_always: true',
      ].join('\n'),
    );
    const applied = await runCli(['apply', '-f', file, ...data], { env: { ZOE_PASSWORD: 'zoe-password-1' } });
    assert.equal(applied.code, 0, applied.stderr);
    const [client] = (await runCli(['client', 'list', '--json', ...data])).json();
    assert.equal(client.token_format, 'jwt');
    const users = (await runCli(['user', 'list', '--json', ...data])).json();
    const zoe = users.find((user: { username: string }) => user.username === 'zoe');
    assert.equal(zoe.name, 'Zoe Z');
    assert.equal(zoe.email, 'zoe@example.org');
    const [service] = (await runCli(['service', 'list', '--json', ...data])).json();
    assert.equal(service.introspect_always, true);
    // The next key follows the algorithm setting.
    const rotated = (await runCli(['keys', 'rotate', '--json', ...data])).json();
    assert.equal(rotated.alg, 'EdDSA');
  });
});
