import assert from 'node:assert/strict';
import { hostname, userInfo } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { adminCall, ADMIN_PASSWORD, type AdminSessionCookie, passwordGrantToken, signIn } from '../helpers/admin.ts';
import { runCli } from '../helpers/cli.ts';
import { startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

/** docs/security.md#audit-log: every administrative change names who made it, and how. */
describe('the actor of every admin change', () => {
  let server: TestServer;
  let session: AdminSessionCookie;

  before(async () => {
    server = await startTestServer();
    session = await signIn(server);
    await server.user('second-admin', 'second-admin-password', ['Administrators']);
  });
  after(() => server.close());

  const changes = async (type: string) => {
    const page = await adminCall(server, 'GET', `/audit?type=${type}&limit=50`, { session });
    assert.equal(page.status, 200);
    return page.body.records as { username: string | null; actor: string | null; actor_via: string | null }[];
  };

  test('the console session, an admin API token and the CLI each name their administrator', async () => {
    assert.equal((await adminCall(server, 'POST', '/users', { session, body: { username: 'by-console', password: TEST_PASSWORD } })).status, 201);

    const token = await passwordGrantToken(server, 'second-admin', 'second-admin-password', ['admin']);
    assert.equal((await adminCall(server, 'POST', '/users', { bearer: token, body: { username: 'by-token', password: TEST_PASSWORD } })).status, 201);

    const cli = await runCli(['user', 'create', '--username', 'by-cli', '--password-stdin', '--db', server.dbPath], { stdin: TEST_PASSWORD });
    assert.equal(cli.code, 0, cli.stderr);

    const created = await changes('user.created');
    const by = (username: string) => created.find((record) => record.username === username);
    assert.deepEqual({ actor: by('by-console')?.actor, via: by('by-console')?.actor_via }, { actor: 'Administrator', via: 'admin_session' });
    assert.deepEqual({ actor: by('by-token')?.actor, via: by('by-token')?.actor_via }, { actor: 'second-admin', via: 'admin_token' });
    assert.deepEqual({ actor: by('by-cli')?.actor, via: by('by-cli')?.actor_via }, { actor: `${userInfo().username}@${hostname()}`, via: 'cli' });

    // Unlocks, settings and deletions too; request events (logins) have no actor.
    assert.equal((await adminCall(server, 'POST', '/throttle/unlock', { session, body: { username: 'nobody' } })).status, 200);
    assert.equal((await adminCall(server, 'DELETE', '/users/by-token', { session })).status, 204);
    assert.equal((await changes('throttle.unlocked'))[0]?.actor, 'Administrator');
    assert.equal((await changes('user.deleted'))[0]?.actor, 'Administrator');
    await server.app.ctx.audit.flush();
    for (const record of await changes('token.issued')) assert.equal(record.actor, null);
  });

  test('`portcullis audit tail` shows the actor', async () => {
    const tail = await runCli(['audit', 'tail', '--limit', '200', '--db', server.dbPath]);
    assert.equal(tail.code, 0, tail.stderr);
    assert.match(tail.stdout, /^at\s+type\s+actor\s+/);
    assert.match(tail.stdout, /user\.created\s+Administrator\s/);
    const cliActor = `${userInfo().username}@${hostname()}`.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    assert.match(tail.stdout, new RegExp(`user\\.created\\s+${cliActor}\\s`));
    const json = await runCli(['audit', 'tail', '--limit', '200', '--json', '--db', server.dbPath]);
    const rows = JSON.parse(json.stdout) as { type: string; actor: string | null; actor_via: string | null }[];
    assert.ok(rows.some((row) => row.type === 'user.created' && row.actor === 'second-admin' && row.actor_via === 'admin_token'));
    assert.ok(!json.stdout.includes(ADMIN_PASSWORD));
  });
});
