import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createApp } from '../../src/app.ts';
import { loadConfig } from '../../src/config/config.ts';
import { hashSecret } from '../../src/core/secrets.ts';
import { adminCall, ADMIN_PASSWORD, signIn } from '../helpers/admin.ts';
import { findLeaks, startTestServer, type TestServer } from '../helpers/server.ts';

async function attemptSignIn(server: TestServer, username: string, password: string) {
  const response = await fetch(`${server.url}/admin/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, setCookie: response.headers.get('set-cookie') };
}

describe('admin sign-in and sessions', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
    await server.app.store.createGroup('staff');
    await server.user('alice', 'alice-password', ['staff']);
    server.secrets.add('wrong-password');
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), [], 'no credential in the logs');
    await server.close();
  });

  test('signing in sets an HttpOnly, SameSite=Strict cookie scoped to /admin (not Secure over plain HTTP)', async () => {
    const session = await signIn(server);
    assert.match(session.setCookie, /HttpOnly/);
    assert.match(session.setCookie, /SameSite=Strict/);
    assert.match(session.setCookie, /Path=\/admin/);
    assert.doesNotMatch(session.setCookie, /Secure/);
    const me = await adminCall(server, 'GET', '/session', { session });
    assert.equal(me.status, 200);
    assert.equal(me.body.username, 'Administrator');
    assert.equal(me.body.csrf_token, session.csrf);
  });

  test('a wrong password, an unknown user and a non-administrator are refused alike', async () => {
    const before = { verifies: server.hasher.verifies, dummy: server.hasher.dummyVerifies };
    const wrong = await attemptSignIn(server, 'Administrator', 'wrong-password');
    const unknown = await attemptSignIn(server, 'nobody', 'wrong-password');
    const notAdmin = await attemptSignIn(server, 'alice', 'alice-password');
    for (const response of [wrong, unknown, notAdmin]) {
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { error: 'invalid_credentials', error_description: 'wrong username or password, or not an administrator' });
      assert.equal(response.setCookie, null);
    }
    // Each attempt costs one argon2 verification, the unknown user's a dummy one.
    assert.equal(server.hasher.verifies - before.verifies, 2);
    assert.equal(server.hasher.dummyVerifies - before.dummy, 1);
  });

  test('a disabled administrator cannot sign in', async () => {
    await server.user('admin2', 'admin2-password', ['Administrators']);
    await adminCall(server, 'PATCH', '/users/admin2', { session: await signIn(server), body: { enabled: false } });
    assert.equal((await attemptSignIn(server, 'admin2', 'admin2-password')).status, 401);
  });

  test('the database holds only a SHA-256 of the session id', async () => {
    const session = await signIn(server);
    const id = session.cookie.split('=')[1]!;
    const db = new Database(server.dbPath, { readonly: true });
    const rows = db.prepare('SELECT * FROM admin_sessions').all() as Record<string, unknown>[];
    db.close();
    const dump = JSON.stringify(rows);
    assert.ok(!dump.includes(id), 'the session id is not stored');
    assert.ok(rows.some((row) => row.id_hash === hashSecret(id)));
  });

  test('a session ends after the idle limit, and use slides it', async () => {
    const session = await signIn(server);
    server.clock.advance(20 * 60);
    assert.equal((await adminCall(server, 'GET', '/clients', { session })).status, 200);
    server.clock.advance(20 * 60);
    assert.equal((await adminCall(server, 'GET', '/clients', { session })).status, 200, 'still live: used 20 minutes ago');
    server.clock.advance(31 * 60);
    const expired = await adminCall(server, 'GET', '/clients', { session });
    assert.equal(expired.status, 401);
    assert.match(expired.body.error_description, /expired/);
  });

  test('a session ends at the absolute limit however busy it is', async () => {
    const session = await signIn(server);
    for (let minutes = 0; minutes < 8 * 60 - 20; minutes += 20) {
      server.clock.advance(20 * 60);
      assert.equal((await adminCall(server, 'GET', '/settings', { session })).status, 200);
    }
    server.clock.advance(20 * 60);
    assert.equal((await adminCall(server, 'GET', '/settings', { session })).status, 401);
  });

  test('signing out ends the session and clears the cookie', async () => {
    const session = await signIn(server);
    const out = await fetch(`${server.url}/admin/api/session`, {
      method: 'DELETE',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf },
    });
    assert.equal(out.status, 204);
    assert.match(out.headers.get('set-cookie') ?? '', /portcullis_admin=;/);
    assert.equal((await adminCall(server, 'GET', '/session', { session })).status, 401);
  });

  test('removing an administrator from the group ends their access at once', async () => {
    await server.user('admin3', 'admin3-password', ['Administrators']);
    const theirs = await signIn(server, 'admin3', 'admin3-password');
    await adminCall(server, 'PATCH', '/users/admin3', { session: await signIn(server), body: { groups: [] } });
    assert.equal((await adminCall(server, 'GET', '/clients', { session: theirs })).status, 403);
    assert.equal((await adminCall(server, 'GET', '/clients', { session: theirs })).status, 401, 'and the session is gone');
  });

  test('setting a password ends that user\'s console sessions', async () => {
    await server.user('admin4', 'admin4-password', ['Administrators']);
    const theirs = await signIn(server, 'admin4', 'admin4-password');
    await adminCall(server, 'PUT', '/users/admin4/password', { session: await signIn(server), body: { password: 'admin4-new-password' } });
    server.secrets.add('admin4-new-password');
    assert.equal((await adminCall(server, 'GET', '/clients', { session: theirs })).status, 401);
  });

  test('a session started on one instance works on another sharing the database', async () => {
    const second = await createApp(loadConfig({ db: server.dbPath, port: 0, config: undefined }, { PORTCULLIS_ADMIN_PASSWORD: ADMIN_PASSWORD }), {
      clock: server.clock,
      hasher: server.hasher,
      logDestination: { write: () => true },
    });
    try {
      const session = await signIn(server);
      const response = await second.server.inject({
        method: 'POST',
        url: '/admin/api/groups',
        headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
        payload: { name: 'made-elsewhere' },
      });
      assert.equal(response.statusCode, 201);
    } finally {
      await second.close();
    }
  });
});

test('over HTTPS (a trusted proxy says so) the session cookie is Secure', async () => {
  const server = await startTestServer({ env: { PORTCULLIS_TRUSTED_PROXIES: '127.0.0.1' } });
  try {
    const response = await fetch(`${server.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: JSON.stringify({ username: 'Administrator', password: ADMIN_PASSWORD }),
    });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('set-cookie') ?? '', /; Secure/);
  } finally {
    await server.close();
  }
});

test('a text/plain body (which any page can send cross-site) is refused at sign-in', async () => {
  const server = await startTestServer();
  try {
    const response = await fetch(`${server.url}/admin/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ username: 'Administrator', password: ADMIN_PASSWORD }),
    });
    assert.equal(response.status, 415);
    assert.equal(response.headers.get('set-cookie'), null);
  } finally {
    await server.close();
  }
});
