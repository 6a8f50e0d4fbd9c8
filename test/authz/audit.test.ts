import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditRecord } from '../../src/core/audit.ts';
import { deleteClient, rotateClientSecret, updateClient } from '../../src/manage/clients.ts';
import { revokeTokens } from '../../src/manage/tokens.ts';
import { setPassword, setUserEnabled } from '../../src/manage/users.ts';
import { spawnSyncBounded } from '../helpers/processes.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

describe('audit log (docs/security.md)', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };
  const password = 'audited password 1';

  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1' } });
    client = await server.client({ grants: ['password', 'refresh_token'] });
    await server.user('audited', password);
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  async function records(): Promise<AuditRecord[]> {
    await server.app.ctx.audit.flush();
    return server.app.store.listAudit({ limit: 1000 });
  }

  const token = (params: Record<string, string>, ip = '203.0.113.5', basic: [string, string] = [client.id, client.secret!]) =>
    postForm(`${server.url}/oauth/token`, params, {
      basic,
      secrets: server.secrets,
      headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' },
    });

  test('token issued, login failed with a reason, throttled, revoked: with the client address, never a credential', async () => {
    const issued = await token({ grant_type: 'password', username: 'audited', password });
    assert.equal(issued.status, 200);
    await token({ grant_type: 'password', username: 'audited', password: 'wrong guess 1' });
    await token({ grant_type: 'password', username: 'ghost', password: 'wrong guess 2' });
    // The classic slip: the password typed into the username field.
    await token({ grant_type: 'password', username: 'password in the username field', password: 'audited' });
    await token({ grant_type: 'password', username: 'audited', password }, '203.0.113.5', [client.id, 'not the secret']);
    for (let i = 0; i < 10; i++) await token({ grant_type: 'password', username: 'target', password: `spray ${i}` }, '198.51.100.99');
    assert.equal((await token({ grant_type: 'password', username: 'target', password: 'spray x' }, '198.51.100.99')).status, 429);
    await postForm(`${server.url}/oauth/revoke`, { token: issued.body.refresh_token as string }, {
      basic: [client.id, client.secret!],
      headers: { 'x-forwarded-for': '203.0.113.5', 'x-forwarded-proto': 'https' },
    });

    const log = await records();
    const find = (type: string, extra: (record: AuditRecord) => boolean = () => true) => log.find((record) => record.type === type && extra(record));
    const grant = find('token.issued', (record) => record.username === 'audited');
    assert.ok(grant);
    assert.equal(grant.ip, '203.0.113.5');
    assert.equal(grant.clientId, client.id);
    assert.equal(grant.detail?.grant_type, 'password');
    assert.equal(find('login.failed', (record) => record.username === 'audited')?.reason, 'wrong_password');
    const unknown = log.filter((record) => record.type === 'login.failed' && record.reason === 'unknown_user' && record.ip === '203.0.113.5');
    assert.equal(unknown.length, 2);
    // A name that is no account is kept only as a keyed fingerprint.
    for (const record of unknown) assert.match(String(record.username), /^unmatched:[A-Za-z0-9_-]{16}$/);
    assert.notEqual(unknown[0]!.username, unknown[1]!.username);
    assert.equal(find('client_auth.failed')?.reason, 'wrong_secret');
    const throttled = find('login.throttled');
    assert.equal(throttled?.reason, 'user_ip');
    assert.equal(throttled?.ip, '198.51.100.99');
    assert.equal(find('token.revoked')?.detail?.via, 'revocation_endpoint');

    const text = JSON.stringify(log);
    for (const secret of [...server.secrets, 'wrong guess 1', 'wrong guess 2', 'not the secret', 'spray 1', 'password in the username field', 'ghost']) {
      assert.ok(!text.includes(secret), 'an audit record carries a credential');
    }
    assert.doesNotMatch(text, /\$argon2/);
  });

  test('account and client changes are audited', async () => {
    server.secrets.add('another password 2');
    await setPassword(server.app.store, server.hasher, server.clock, 'audited', 'another password 2');
    await setUserEnabled(server.app.store, server.clock, 'audited', false);
    const other = await server.client({ grants: ['password'] });
    await updateClient(server.app.store, other.id, { enabled: false, description: 'x' }, server.clock);
    server.secrets.add(await rotateClientSecret(server.app.store, other.id, server.clock));
    await revokeTokens(server.app.store, server.clock, { clientId: client.id });
    await deleteClient(server.app.store, other.id, server.clock);
    const types = (await records()).map((record) => record.type);
    for (const type of ['user.created', 'user.password_changed', 'user.disabled', 'client.created', 'client.disabled', 'client.updated', 'client.secret_rotated', 'client.deleted', 'token.revoked']) {
      assert.ok(types.includes(type as AuditRecord['type']), `missing ${type}`);
    }
  });

  test('`portcullis audit tail` shows the newest records', async () => {
    await server.app.ctx.audit.flush();
    const run = spawnSyncBounded(process.execPath, ['bin/portcullis.mjs', 'audit', 'tail', '--limit', '3', '--json', '--db', server.dbPath], { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as { id: number; type: string }[];
    assert.equal(rows.length, 3);
    assert.ok(rows[0]!.id < rows[2]!.id, 'oldest of the three first');
    assert.equal(rows[2]!.type, 'client.deleted');
    const human = spawnSyncBounded(process.execPath, ['bin/portcullis.mjs', 'audit', 'tail', '--db', server.dbPath], { encoding: 'utf8' });
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /^at\s+type\s+actor\s+ip\s+client_id\s+username\s+reason\s+detail/);
    assert.match(human.stdout, /login\.failed .*wrong_password/);
  });
});
