import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { hashSecret } from '../../src/core/secrets.ts';
import { postForm, startTestServer, type TestServer } from '../helpers/server.ts';

// docs/security.md: tokens and client secrets are stored only as hashes; passwords only as argon2id.

let server: TestServer;

before(async () => {
  // The stored hash must be the production argon2id.
  server = await startTestServer({ realArgon2: true });
});

after(() => server.close());

it('the database file holds no token, secret or password, only their hashes', async () => {
  const c = await server.client({ name: 'app', grants: ['password', 'refresh_token', 'client_credentials'] });
  await server.user('alice', 'alice-password-1');
  const issued: string[] = [c.secret!, 'alice-password-1'];
  const password = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username: 'alice', password: 'alice-password-1' }, {
    basic: [c.id, c.secret!],
  });
  const refreshed = await postForm(`${server.url}/oauth/token`, { grant_type: 'refresh_token', refresh_token: password.body.refresh_token as string }, {
    basic: [c.id, c.secret!],
  });
  const cc = await postForm(`${server.url}/oauth/token`, { grant_type: 'client_credentials' }, { basic: [c.id, c.secret!] });
  for (const res of [password, refreshed, cc]) {
    assert.equal(res.status, 200);
    for (const key of ['access_token', 'refresh_token']) if (res.body[key]) issued.push(res.body[key] as string);
  }
  assert.equal(issued.length, 7);

  const files = [server.dbPath, `${server.dbPath}-wal`].filter(existsSync);
  const bytes = files.map((file) => readFileSync(file).toString('latin1')).join('');
  for (const value of issued) assert.equal(bytes.includes(value), false, 'a plain credential is in the database');
  // The check above can fail: the hashes it should find instead are there.
  // Tokens are keyed by the digest's 32 bytes (migration 0014), client secrets keep it in base64url.
  for (const value of issued.slice(2)) assert.equal(bytes.includes(Buffer.from(hashSecret(value), 'base64url').toString('latin1')), true, 'the hash is stored');
  assert.equal(bytes.includes(hashSecret(c.secret!)), true);
  const user = await server.app.store.findUser('alice');
  assert.match(user!.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
});
