import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { after, before, describe, test } from 'node:test';
import { canonicalUsername } from '../../src/core/username.ts';
import { adminCall, type AdminSessionCookie, signIn } from '../helpers/admin.ts';
import { runCli, tempDb } from '../helpers/cli.ts';
import { postForm, startTestServer, TEST_PASSWORD, type TestServer } from '../helpers/server.ts';

/** docs/security.md#usernames: one canonical form (RFC 8265 UsernameCaseMapped) for every comparison. */

const NFC = 'jos\u00e9';
const NFD = 'jose\u0301';

test('the canonical form: case, Unicode normalisation and width are one name', () => {
  assert.equal(canonicalUsername('Alice'), 'alice');
  assert.equal(canonicalUsername(NFD), canonicalUsername(NFC));
  assert.equal(canonicalUsername('ＡＬＩＣＥ'), 'alice');
  assert.equal(canonicalUsername('Administrator'), canonicalUsername('administrator'));
  assert.notEqual(canonicalUsername('alice'), canonicalUsername('alice2'));
});

describe('usernames compared canonically over HTTP', () => {
  let server: TestServer;
  let session: AdminSessionCookie;
  let client: { id: string; secret: string | undefined };

  before(async () => {
    server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1' } });
    session = await signIn(server);
    client = await server.client({ grants: ['password'] });
  });
  after(() => server.close());

  const create = (username: string) => adminCall(server, 'POST', '/users', { session, body: { username, password: TEST_PASSWORD } });
  const login = (username: string, password: string, ip = '203.0.113.50') =>
    postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password }, {
      basic: [client.id, client.secret!],
      headers: { 'x-forwarded-for': ip, 'x-forwarded-proto': 'https' },
    });

  test('a name that differs only by case or Unicode form is refused at creation', async () => {
    assert.equal((await create('alice')).status, 201);
    for (const twin of ['Alice', 'ALICE', 'ａｌｉｃｅ']) {
      const refused = await create(twin);
      assert.equal(refused.status, 409, twin);
      assert.equal(refused.body.error, 'conflict');
    }
    assert.equal((await create('administrator')).status, 409);
    assert.equal((await create(NFC)).status, 201);
    assert.equal((await create(NFD)).status, 409);
    const names = ((await adminCall(server, 'GET', '/users', { session })).body as { username: string }[]).map((user) => user.username);
    assert.deepEqual(names.filter((name) => canonicalUsername(name) === 'alice'), ['alice']);
  });

  test('a login in another spelling is the same account, under its stored name; the display name is kept', async () => {
    assert.equal((await create('Bernadette')).status, 201);
    const token = await login('BERNADETTE', TEST_PASSWORD);
    assert.equal(token.status, 200);
    const introspected = await postForm(`${server.url}/oauth/introspect`, { token: token.body.access_token as string }, {
      basic: [client.id, client.secret!],
      headers: { 'x-forwarded-proto': 'https' },
    });
    assert.equal(introspected.body.username, 'Bernadette');
    assert.equal((await login(NFD, TEST_PASSWORD)).status, 200);
    assert.equal((await adminCall(server, 'GET', `/users/${encodeURIComponent('BERNADETTE')}`, { session })).body.username, 'Bernadette');
  });

  test('alternating spellings share one throttle counter', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await login(i % 2 ? 'Alice' : 'alice', `wrong-${i}`, '203.0.113.60')).status);
    assert.deepEqual(statuses.slice(10), [429, 429]);
    assert.equal((await login('aLiCe', TEST_PASSWORD, '203.0.113.60')).status, 429);
  });
});

describe('existing duplicates', () => {
  const tmp = tempDb();
  after(() => tmp.cleanup());

  test('`portcullis migrate` lists names that collide from before, and logins still work', async () => {
    assert.equal((await runCli(['migrate', '--db', tmp.db])).code, 0);
    // As a database from before canonical matching holds them: both spellings, no key yet.
    const db = new Database(tmp.db);
    const insert = db.prepare('INSERT INTO users (username, password_hash, enabled, created_at) VALUES (?, ?, 1, 0)');
    for (const name of ['Carol', 'carol', NFC, NFD]) insert.run(name, '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaGhhc2hoYXNoaGFzaA');
    db.close();
    const migrated = await runCli(['migrate', '--db', tmp.db]);
    assert.equal(migrated.code, 0, migrated.stderr);
    assert.match(migrated.stderr, /warning: usernames that are one name .*: Carol, carol;/);
    assert.ok(migrated.stderr.includes(`${NFC}, ${NFD}`) || migrated.stderr.includes(`${NFD}, ${NFC}`), migrated.stderr);
    const json = await runCli(['migrate', '--json', '--db', tmp.db]);
    assert.equal(json.json().username_collisions.length, 2);
    // Each account is still reachable by its exact spelling; a new twin is refused.
    const shown = await runCli(['user', 'list', '--json', '--db', tmp.db]);
    assert.equal(shown.json<unknown[]>().length, 4);
    const twin = await runCli(['user', 'create', '--username', 'CAROL', '--password-stdin', '--db', tmp.db], { stdin: TEST_PASSWORD });
    assert.equal(twin.code, 1);
    assert.match(twin.stderr, /already exists/);
  });
});
