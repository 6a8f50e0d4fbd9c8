import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { spawnSyncBounded } from '../helpers/processes.ts';

const dir = mkdtempSync(join(tmpdir(), 'portcullis-cli-'));
const db = join(dir, 'cli.db');
writeFileSync(db, ''); // an existing (empty) database: no --create needed

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSyncBounded(process.execPath, ['bin/portcullis.mjs', ...args, '--db', db], { encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('portcullis service / acl / apply (docs/cli.md)', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('applies services and ACLs from a setup file, and lists them', () => {
    const file = join(dir, 'setup.yaml');
    writeFileSync(
      file,
      [
        'groups: [staff, contractors]',
        'services:',
        '  - name: orders.v1:getOrder',
        '    upstream: http://127.0.0.1:8080/orders',
        '    methods: [GET]',
        '    templates: ["GET /rest/orders/{id}"]',
        '    max_concurrent: 5',
        '    timeout_ms: 2500',
        'acls:',
        '  - resource: orders',
        '    allow: [staff]',
        '    deny: [contractors]',
      ].join('\n'),
    );
    const applied = run('apply', '-f', file);
    assert.equal(applied.status, 0, applied.stderr);
    assert.match(applied.stdout, /service orders.v1:getOrder created/);
    assert.match(applied.stdout, /acl orders created/);
    const services = JSON.parse(run('service', 'list', '--json').stdout);
    assert.deepEqual(services.map((s: { name: string; templates: string[] }) => [s.name, s.templates]), [
      ['orders.v1:getOrder', ['GET /rest/orders/{id}']],
    ]);
    assert.deepEqual([services[0].max_concurrent, services[0].timeout_ms], [5, 2500]);
    // created_at in ISO 8601, as every other command prints it; the same fields as the admin API's.
    assert.deepEqual(Object.keys(services[0]).sort(), ['created_at', 'introspect_always', 'max_concurrent', 'methods', 'name', 'templates', 'timeout_ms', 'upstream']);
    assert.match(services[0].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(JSON.parse(run('acl', 'list', '--json').stdout), [{ resource: 'orders', allow: ['staff'], deny: ['contractors'] }]);
  });

  it('creates and deletes with the commands; exit 1 with one line on a mistake, 2 on usage', () => {
    const created = run('service', 'create', '--name', 'billing:list', '--upstream', 'http://127.0.0.1:1/', '--method', 'GET,POST');
    assert.equal(created.status, 0);
    // Running servers cache services, ACLs and memberships: the command says for how long.
    assert.equal(created.stdout, 'saved service billing:list -> http://127.0.0.1:1/\nrunning servers apply it within 5 s (settings_max_age)\n');
    const acl = run('acl', 'set', '--resource', 'billing', '--allow', 'staff');
    assert.match(acl.stdout, /^set ACL on billing: allow staff; deny \(none\)\nrunning servers apply it within 5 s \(settings_max_age\)\n$/);
    const bad = run('acl', 'set', '--resource', 'billing', '--allow', 'ghosts');
    assert.equal(bad.status, 1);
    assert.equal(bad.stderr, 'portcullis: group ghosts does not exist\n');
    assert.equal(run('service', 'delete', '--name', 'billing:list').status, 0);
    assert.equal(run('service', 'create', '--upstream', 'http://h/').status, 2, 'usage error');
  });

  it('sets, updates and clears a service\'s concurrency limit and timeout (docs/resource-server.md "Limits per service")', () => {
    const created = run('service', 'create', '--name', 'reports:export', '--upstream', 'http://127.0.0.1:8080/x', '--max-concurrent', '10', '--timeout-ms', '60000', '--json');
    assert.equal(created.status, 0, created.stderr);
    assert.deepEqual([JSON.parse(created.stdout).max_concurrent, JSON.parse(created.stdout).timeout_ms], [10, 60000]);
    const updated = run('service', 'update', '--name', 'reports:export', '--timeout-ms', '5000', '--json');
    assert.equal(updated.status, 0, updated.stderr);
    const after = JSON.parse(updated.stdout);
    assert.deepEqual([after.upstream, after.max_concurrent, after.timeout_ms], ['http://127.0.0.1:8080/x', 10, 5000], 'the other settings kept');
    const cleared = JSON.parse(run('service', 'update', '--name', 'reports:export', '--max-concurrent', 'default', '--json').stdout);
    assert.equal(cleared.max_concurrent, null);
    const refused = run('service', 'create', '--name', 'reports:x', '--upstream', 'http://127.0.0.1:8080/x', '--max-concurrent', '0');
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /max_concurrent must be a whole number from 1 to 100000/);
    assert.match(run('service', 'update', '--name', 'nope:x', '--timeout-ms', '5').stderr, /no service nope:x/);
  });
});
