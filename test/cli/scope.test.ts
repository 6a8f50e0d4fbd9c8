import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { runCli, tempDb } from '../helpers/cli.ts';

// Scope names and resources (docs/resource-server.md) through `portcullis scope create` (docs/cli.md).
describe('portcullis scope', () => {
  const tmp = tempDb();
  const data = ['--db', tmp.db];
  after(() => tmp.cleanup());

  test('create with folders, services and URL templates; show, list, replace, delete', async () => {
    const resources = ['orders', 'orders.v1:getOrder', 'GET /rest/orders/{id}', '* /rest/admin/**'];
    const created = await runCli(
      ['scope', 'create', '--name', 'orders:read', '--description', 'Read orders', '--resources', resources.join(','), '--public', '--json', ...data],
    );
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(created.json(), { name: 'orders:read', description: 'Read orders', resources, public: true });

    const shown = await runCli(['scope', 'show', 'orders:read', '--json', ...data]);
    assert.deepEqual(shown.json(), { name: 'orders:read', description: 'Read orders', resources, public: true });
    const human = await runCli(['scope', 'show', 'orders:read', ...data]);
    assert.match(human.stdout, /^name: orders:read\n/);
    assert.ok(human.stdout.includes('  GET /rest/orders/{id}\n'));

    // create replaces a scope of the same name.
    const replaced = await runCli(['scope', 'create', '--name', 'orders:read', '--resources', 'orders.v2', ...data]);
    assert.equal(replaced.stdout, 'saved scope orders:read\n');
    const listed = (await runCli(['scope', 'list', '--json', ...data])).json();
    assert.deepEqual(listed, [{ name: 'orders:read', description: '', resources: ['orders.v2'], public: false }], 'replaced whole: private unless --public');

    const deleted = await runCli(['scope', 'delete', 'orders:read', ...data]);
    assert.equal(deleted.stdout, 'deleted scope orders:read\n');
    const missing = await runCli(['scope', 'show', 'orders:read', ...data]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'portcullis: no scope orders:read\n');
  });

  test('invalid names and resources are rejected with one line, and nothing is saved', async () => {
    const cases: [string[], RegExp][] = [
      [['--name', 'has space'], /scope names are/],
      [['--name', 'back\\slash'], /scope names are/],
      [['--name', 'quo"te'], /scope names are/],
      [['--name', 'x'.repeat(101)], /scope names are/],
      [['--name', 'ok', '--resources', 'orders,GET rest/orders/{id}'], /resource "GET rest\/orders\/\{id\}" is not/],
      [['--name', 'ok', '--resources', 'orders:'], /resource "orders:" is not/],
      [['--name', 'ok', '--resources', 'orders..v1'], /resource "orders\.\.v1" is not/],
      [['--name', 'ok', '--resources', 'get /rest/x'], /resource "get \/rest\/x" is not/],
    ];
    for (const [args, message] of cases) {
      const result = await runCli(['scope', 'create', ...args, ...data]);
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stdout}`);
      assert.match(result.stderr, /^portcullis: [^\n]+\n$/);
      assert.match(result.stderr, message);
    }
    assert.deepEqual((await runCli(['scope', 'list', '--json', ...data])).json(), []);
    assert.equal((await runCli(['scope', 'create', ...data])).code, 2, '--name is required');
  });
});
