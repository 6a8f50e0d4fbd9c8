import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { runCli } from '../helpers/cli.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';

// docs/cli.md `portcullis token list|revoke|purge`, on the database of a running server that issued the tokens.
describe('portcullis token', () => {
  let server: TestServer;
  let data: string[];
  let client: { id: string; secret: string | undefined };

  async function grant(username: string, password: string): Promise<{ access: string; refresh: string }> {
    const response = await postForm(
      `${server.url}/oauth/token`,
      { grant_type: 'password', username, password },
      { basic: [client.id, client.secret!], secrets: server.secrets },
    );
    assert.equal(response.status, 200, response.text);
    return { access: response.body.access_token as string, refresh: response.body.refresh_token as string };
  }

  async function active(token: string): Promise<boolean> {
    const response = await postForm(`${server.url}/oauth/introspect`, { token }, { basic: [client.id, client.secret!] });
    assert.equal(response.status, 200, response.text);
    return response.body.active as boolean;
  }

  before(async () => {
    // The CLI runs on the system clock, so the server's clock starts at the real time.
    server = await startTestServer({ clock: new ManualClock(Math.floor(Date.now() / 1000)) });
    data = ['--db', server.dbPath];
    client = await server.client({ name: 'tokens', grants: ['password', 'refresh_token'] });
    await server.user('dora', 'dora-password');
    await server.user('eve', 'eve-password');
  });
  after(() => server.close());

  test('list shows tokens by their hash, never the token, and filters', async () => {
    const { access, refresh } = await grant('dora', 'dora-password');
    await grant('eve', 'eve-password');

    const listed = await runCli(['token', 'list', '--user', 'dora', '--json', ...data]);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = listed.json();
    assert.deepEqual(rows.map((row: { id: string }) => row.id).sort(), [hashSecret(access), hashSecret(refresh)].sort());
    for (const row of rows) {
      assert.equal(row.state, 'active');
      assert.equal(row.username, 'dora');
      assert.equal(row.client_id, client.id);
    }
    assert.ok(!listed.stdout.includes(access) && !listed.stdout.includes(refresh));

    const all = (await runCli(['token', 'list', '--client', client.id, '--state', 'active', '--json', ...data])).json();
    assert.ok(all.length >= 4);
    const human = await runCli(['token', 'list', '--limit', '1', ...data]);
    assert.equal(human.stdout.trim().split('\n').length, 2, 'a header and one row');
    const badState = await runCli(['token', 'list', '--state', 'zombie', ...data]);
    assert.equal(badState.code, 1);
    assert.equal(badState.stderr, 'portcullis: state must be one of active, expired, revoked, rotated\n');
  });

  test('revoke by token on stdin, by id, by user and by client; purge removes what is dead', async () => {
    const first = await grant('dora', 'dora-password');
    const revokedByToken = await runCli(['token', 'revoke', '--token-stdin', '--json', ...data], { stdin: `${first.access}\n` });
    assert.equal(revokedByToken.code, 0, revokedByToken.stderr);
    assert.deepEqual(revokedByToken.json(), { revoked_grants: 1 });
    assert.equal(await active(first.access), false);
    assert.equal(await active(first.refresh), false, 'revoking an access token revokes its grant');

    const second = await grant('dora', 'dora-password');
    const byId = await runCli(['token', 'revoke', '--id', hashSecret(second.refresh), ...data]);
    assert.equal(byId.stdout, 'revoked 1 grant(s)\n');
    assert.equal(await active(second.access), false);

    const third = await grant('eve', 'eve-password');
    const byUser = await runCli(['token', 'revoke', '--user', 'eve', '--json', ...data]);
    assert.ok(byUser.json().revoked_grants >= 1);
    assert.equal(await active(third.access), false);

    const fourth = await grant('dora', 'dora-password');
    const byClient = await runCli(['token', 'revoke', '--client', client.id, '--json', ...data]);
    assert.ok(byClient.json().revoked_grants >= 1);
    assert.equal(await active(fourth.refresh), false);

    const unknown = await runCli(['token', 'revoke', '--id', 'f'.repeat(64), ...data]);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'portcullis: no such token\n');
    const twoTargets = await runCli(['token', 'revoke', '--user', 'dora', '--client', client.id, ...data]);
    assert.equal(twoTargets.code, 1);
    assert.equal(twoTargets.stderr, 'portcullis: give exactly one of --id, --token-stdin, --user, --client\n');

    const live = await grant('dora', 'dora-password');
    const purged = await runCli(['token', 'purge', '--json', ...data]);
    assert.equal(purged.code, 0, purged.stderr);
    assert.ok(purged.json().removed >= 8, `removed ${purged.stdout}`);
    const left = (await runCli(['token', 'list', '--json', ...data])).json();
    assert.deepEqual(left.map((row: { id: string }) => row.id).sort(), [hashSecret(live.access), hashSecret(live.refresh)].sort());
    assert.equal(await active(live.access), true, 'purge keeps live tokens');
    assert.deepEqual((await runCli(['token', 'purge', '--json', ...data])).json(), { removed: 0 });
  });
});
