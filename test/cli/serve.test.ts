import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli, type ServeProcess, startServe, tempDb } from '../helpers/cli.ts';
import { postForm } from '../helpers/server.ts';

async function passwordGrant(url: string, clientId: string, username: string, password: string) {
  return postForm(`${url}/oauth/token`, { grant_type: 'password', client_id: clientId, username, password });
}

async function publicClient(db: string): Promise<string> {
  const created = await runCli(['client', 'create', '--name', 'console', '--type', 'public', '--grants', 'password', '--json', '--db', db]);
  assert.equal(created.code, 0, created.stderr);
  return created.json().client_id;
}

// docs/cli.md, first run: an empty database gets `Administrator` in `Administrators`.
describe('portcullis serve: first run', () => {
  const running: ServeProcess[] = [];
  const dirs: { cleanup(): void }[] = [];
  after(async () => {
    for (const serve of running) await serve.stop();
    for (const dir of dirs) dir.cleanup();
  });

  test('with PORTCULLIS_ADMIN_PASSWORD: nothing about the password is printed, and that password works', async () => {
    const tmp = tempDb();
    dirs.push(tmp);
    const adminPassword = 'chosen-admin-password-42';
    const serve = await startServe(['--db', tmp.db], { cwd: tmp.dir, env: { PORTCULLIS_ADMIN_PASSWORD: adminPassword } });
    running.push(serve);
    const clientId = await publicClient(tmp.db);
    const token = await passwordGrant(serve.url, clientId, 'Administrator', adminPassword);
    assert.equal(token.status, 200, token.text);
    assert.equal(token.body.token_type, 'Bearer');

    const users = (await runCli(['user', 'list', '--json', '--db', tmp.db])).json();
    assert.deepEqual(
      users.map((user: { username: string; groups: string[] }) => [user.username, user.groups]),
      [['Administrator', ['Administrators']]],
    );
    await serve.stop();
    const output = serve.stdout() + serve.stderr();
    assert.ok(!output.includes(adminPassword));
    assert.doesNotMatch(output, /password/i);
    // Every stdout line is a JSON log line: nothing was printed for the operator.
    for (const line of serve.stdout().trim().split('\n')) JSON.parse(line);
  });

  test('without it: a generated password is printed once, outside the log, and a second start prints none', async () => {
    const tmp = tempDb();
    dirs.push(tmp);
    const first = await startServe(['--db', tmp.db], { cwd: tmp.dir });
    running.push(first);
    const match = /^ {2}password: (\S+)$/m.exec(first.stdout());
    assert.ok(match, first.stdout());
    const generated = match[1]!;
    assert.match(generated, /^[A-Za-z0-9_-]{43}$/);
    assert.match(first.stdout(), /^ {2}username: Administrator$/m);
    const logLines = first.stdout().split('\n').filter((line) => line.startsWith('{'));
    assert.ok(logLines.length > 0);
    for (const line of logLines) assert.ok(!line.includes(generated), 'the password is not in a log line');
    assert.equal(first.stdout().split(generated).length - 1, 1, 'printed exactly once');

    const clientId = await publicClient(tmp.db);
    const token = await passwordGrant(first.url, clientId, 'Administrator', generated);
    assert.equal(token.status, 200, token.text);
    await first.stop();

    const second = await startServe(['--db', tmp.db], { cwd: tmp.dir });
    running.push(second);
    await second.stop();
    assert.doesNotMatch(second.stdout(), /password/i);
    assert.ok(!second.stdout().includes(generated));
  });
});

// docs/cli.md: a bad setting stops start-up with one line naming it.
// The SQLite store caches clients and token states in the server process: a change the CLI makes
// from another process must still hold from the next request on (ReadCaches, docs/deployment.md).
describe('portcullis serve: what the CLI changes while it runs holds at the next request', () => {
  const tmp = tempDb();
  let serve: ServeProcess;
  after(async () => {
    await serve?.stop();
    tmp.cleanup();
  });

  test('a revoked token turns inactive, a disabled client is refused, an enabled one is served again', async () => {
    const created = await runCli(['client', 'create', '--name', 'svc', '--type', 'confidential', '--grants', 'client_credentials', '--json', '--db', tmp.db]);
    assert.equal(created.code, 0, created.stderr);
    const { client_id: id, client_secret: secret } = created.json<{ client_id: string; client_secret: string }>();
    serve = await startServe(['--db', tmp.db], { env: { PORTCULLIS_ADMIN_PASSWORD: 'serve-admin-password' } });
    const basic: [string, string] = [id, secret];
    const issue = () => postForm(`${serve.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic });
    const introspect = (token: string) => postForm(`${serve.url}/oauth/introspect`, { token }, { basic });

    const token = (await issue()).body.access_token as string;
    // Read twice, so that the second answer comes from the server's caches.
    assert.equal((await introspect(token)).body.active, true);
    assert.equal((await introspect(token)).body.active, true);

    const revoked = await runCli(['token', 'revoke', '--token-stdin', '--db', tmp.db], { stdin: token });
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual((await introspect(token)).body, { active: false });

    const live = (await issue()).body.access_token as string;
    assert.equal((await introspect(live)).body.active, true);
    assert.equal((await runCli(['client', 'disable', id, '--db', tmp.db])).code, 0);
    assert.equal((await issue()).status, 401);
    assert.equal((await runCli(['client', 'enable', id, '--db', tmp.db])).code, 0);
    assert.equal((await issue()).status, 200);
    assert.equal((await introspect(live)).body.active, true, 'enabled again: its tokens are active again (docs/security.md)');
  });
});

describe('portcullis serve: a bad setting stops start-up', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  const unknownKey = join(tmp.dir, 'unknown-key.yaml');
  writeFileSync(unknownKey, 'port: 5555\nlisten_backlog: 10\n');
  const cases: [string, string[], Record<string, string>, RegExp][] = [
    ['bad --port', ['--port', '99999'], {}, /^--port must be an integer from 0 to 65535$/],
    ['non-numeric PORTCULLIS_PORT', [], { PORTCULLIS_PORT: 'http' }, /^PORTCULLIS_PORT must be an integer/],
    ['bad PORTCULLIS_LOG_LEVEL', [], { PORTCULLIS_LOG_LEVEL: 'loud' }, /^PORTCULLIS_LOG_LEVEL must be one of fatal, error/],
    ['unknown key in portcullis.yaml', ['--config', unknownKey], {}, /unknown-key\.yaml: unknown setting listen_backlog$/],
    ['missing config file', ['--config', join(tmp.dir, 'nope.yaml')], {}, /^config file \S+nope\.yaml cannot be read$/],
    ['tls_cert without tls_key', ['--tls-cert', unknownKey], {}, /^tls_cert and tls_key must be set together$/],
    ['non-postgres database url', ['--database-url', 'mysql://localhost/db'], {}, /^--database-url must be a postgres:\/\/ URL$/],
    ['bad trusted proxy', ['--trusted-proxies', '10.0.0.0/8,proxy.local'], {}, /^--trusted-proxies: "proxy\.local" is not/],
    ['bad issuer', [], { PORTCULLIS_ISSUER: 'https://auth.example.com/?tenant=1' }, /^PORTCULLIS_ISSUER must be an http\(s\) URL/],
  ];
  for (const [name, args, env, message] of cases) {
    test(`${name} → exit 1 and one line`, async () => {
      const result = await runCli(['serve', '--db', tmp.db, ...args], { env, cwd: tmp.dir });
      assert.equal(result.code, 1, result.stdout + result.stderr);
      assert.match(result.stderr, /^portcullis: [^\n]+\n$/, JSON.stringify(result.stderr));
      assert.match(result.stderr.slice('portcullis: '.length).trimEnd(), message);
      assert.equal(result.stdout, '', 'nothing started, nothing logged');
    });
  }

  test('a port in use → exit 1 and one line naming it', async () => {
    const taken = createServer();
    await new Promise<void>((done) => taken.listen(0, '127.0.0.1', done));
    const { port } = taken.address() as { port: number };
    try {
      const result = await runCli(['serve', '--db', tmp.db, '--port', String(port)], { cwd: tmp.dir, env: { PORTCULLIS_ADMIN_PASSWORD: 'x-admin-password' } });
      assert.equal(result.code, 1, result.stderr);
      assert.equal(result.stderr, `portcullis: cannot listen on 127.0.0.1:${port}: the port is already in use\n`);
    } finally {
      taken.close();
    }
  });
});
