import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { passwordProblem } from '../../src/core/password-policy.ts';
import { adminCall, type AdminSessionCookie, signIn } from '../helpers/admin.ts';
import { runCli, tempDb } from '../helpers/cli.ts';
import { postForm, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

/** docs/security.md#passwords-set-through-portcullis: a minimum length and a list of common passwords. */

describe('password policy at the admin API', () => {
  let server: TestServer;
  let session: AdminSessionCookie;
  const call = (method: string, path: string, body?: unknown) => adminCall(server, method, path, { session, body });

  before(async () => {
    server = await startTestServer();
    session = await signIn(server);
  });
  after(() => server.close());

  test('`x`, a 7-character and a common password are refused with a clear 400; nothing is created', async () => {
    for (const [password, text] of [
      ['x', /at least 8 characters/],
      ['abcdefg', /at least 8 characters/],
      ['password1', /common passwords/],
      ['Iloveyou123', /common passwords/],
    ] as const) {
      const response = await call('POST', '/users', { username: 'weak', password });
      assert.equal(response.status, 400, password);
      assert.equal(response.body.error, 'invalid_request');
      assert.match(String(response.body.error_description), text);
      assert.ok(!JSON.stringify(response.body).includes(password), 'the answer never repeats the password');
    }
    assert.equal((await call('GET', '/users/weak')).status, 404);
    assert.equal((await call('POST', '/users', { username: 'strong', password: TEST_PASSWORD })).status, 201);
    const passwd = await call('PUT', '/users/strong/password', { password: 'qwertyuiop' });
    assert.equal(passwd.status, 400);
    assert.match(String(passwd.body.error_description), /common passwords/);
    // The old password still works: nothing was changed.
    const client = await server.client({ grants: ['password'] });
    const login = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'strong', password: TEST_PASSWORD }, { basic: [client.id, client.secret!] });
    assert.equal(login.status, 200);
  });

  test('the minimum is a setting (8 at least); logins are never checked against it', async () => {
    await server.user('longtimer', 'twelve-chars');
    assert.equal((await call('PATCH', '/settings', { password_min_length: 7 })).status, 400);
    const changed = await call('PATCH', '/settings', { password_min_length: 16 });
    assert.equal(changed.status, 200);
    assert.equal(changed.body.password_min_length, 16);
    const short = await call('POST', '/users', { username: 'shorty', password: 'fifteen-chars-x' });
    assert.equal(short.status, 400);
    assert.match(String(short.body.error_description), /at least 16 characters/);
    assert.equal((await call('POST', '/users', { username: 'longer', password: 'sixteen-chars-xy' })).status, 201);
    const client = await server.client({ grants: ['password'] });
    const login = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'longtimer', password: 'twelve-chars' }, { basic: [client.id, client.secret!] });
    assert.equal(login.status, 200);
    await call('PATCH', '/settings', { password_min_length: 8 });
  });
});

describe('password policy in the CLI', () => {
  const tmp = tempDb();
  const data = ['--db', tmp.db];
  after(() => tmp.cleanup());

  test('user create and passwd refuse a weak password with one clear line and exit status 2', async () => {
    const short = await runCli(['user', 'create', '--username', 'erin', '--password-stdin', ...data], { stdin: 'short\n' });
    assert.equal(short.code, 2);
    assert.equal(short.stderr, 'portcullis: the password must be at least 8 characters long\n');
    const common = await runCli(['user', 'create', '--username', 'erin', '--password-stdin', ...data], { stdin: 'baseball\n' });
    assert.equal(common.code, 2);
    assert.equal(common.stderr, 'portcullis: the password is on the list of common passwords; choose another\n');
    assert.equal((await runCli(['user', 'create', '--username', 'erin', '--password-stdin', ...data], { stdin: TEST_PASSWORD })).code, 0);
    const passwd = await runCli(['user', 'passwd', '--username', 'erin', '--password-stdin', ...data], { stdin: '12345678' });
    assert.equal(passwd.code, 2);
    assert.match(passwd.stderr, /common passwords/);
  });
});

test('characters are counted as code points, and the list is case-insensitive', async () => {
  assert.equal(await passwordProblem('😀😀😀😀😀😀😀😀'), undefined);
  assert.match(String(await passwordProblem('😀😀😀😀😀😀😀')), /at least 8/);
  assert.match(String(await passwordProblem('SUNSHINE')), /common/);
});
