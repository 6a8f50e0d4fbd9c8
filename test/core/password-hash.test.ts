import assert from 'node:assert/strict';
import { pbkdf2Sync, randomBytes, scryptSync } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { hash as argon2Hash } from '@node-rs/argon2';
import { hashSync } from '@node-rs/bcrypt';

/** A bcrypt hash at the lowest cost, in the given MCF version (the algorithm is the same for all three). */
function bcryptHash(password: string, options: { cost: number; version?: string }): string {
  return hashSync(password, options.cost).replace(/^\$2[aby]\$/, `$${options.version ?? '2b'}$`);
}
import { legacyFormat, verifyLegacy } from '../../src/core/legacy-hashes.ts';
import { Argon2Hasher, isAcceptedPasswordHash, passwordHashesInFlight } from '../../src/core/password-hash.ts';
import { createUser } from '../../src/manage/users.ts';
import { findLeaks, postForm, startTestServer, type TestServer } from '../helpers/server.ts';

const b64 = (bytes: Buffer) => bytes.toString('base64').replace(/=+$/, '');

function pbkdf2Hash(password: string, digest: 'sha256' | 'sha512', iterations = 1000): string {
  const salt = randomBytes(16);
  const derived = pbkdf2Sync(password, salt, iterations, digest === 'sha256' ? 32 : 64, digest);
  return `$pbkdf2-${digest}$i=${iterations}$${b64(salt)}$${b64(derived)}`;
}

function scryptHash(password: string): string {
  const salt = randomBytes(16);
  return `$scrypt$ln=14,r=8,p=1$${b64(salt)}$${b64(scryptSync(password, salt, 32, { N: 2 ** 14, r: 8, p: 1 }))}`;
}

describe('imported password hashes (docs/security.md)', () => {
  const password = 'Tr0ub4dor&3-imported';

  test('bcrypt $2a$, $2b$ and $2y$ verify', async () => {
    for (const version of ['2a', '2b', '2y'] as const) {
      const stored = bcryptHash(password, { cost: 4, version });
      assert.equal(legacyFormat(stored), 'bcrypt');
      assert.equal(await verifyLegacy(stored, password), true);
      assert.equal(await verifyLegacy(stored, `${password}x`), false);
    }
  });

  test('PBKDF2-SHA256 and -SHA512, PHC style and passlib style', async () => {
    for (const digest of ['sha256', 'sha512'] as const) {
      const stored = pbkdf2Hash(password, digest);
      assert.equal(legacyFormat(stored), 'pbkdf2');
      assert.equal(await verifyLegacy(stored, password), true);
      assert.equal(await verifyLegacy(stored, 'wrong'), false);
      // passlib: bare rounds and its adapted base64 (`.` for `+`).
      const passlib = stored.replace('$i=', '$').replace(/\+/g, '.');
      assert.equal(await verifyLegacy(passlib, password), true);
    }
  });

  test('scrypt', async () => {
    const stored = scryptHash(password);
    assert.equal(legacyFormat(stored), 'scrypt');
    assert.equal(await verifyLegacy(stored, password), true);
    assert.equal(await verifyLegacy(stored, 'wrong'), false);
  });

  test('malformed or unknown hashes are a mismatch, never an exception', async () => {
    const hasher = new Argon2Hasher();
    for (const stored of ['', 'plain-text', '$pbkdf2-sha1$i=1000$AAAA$AAAA', '$2b$99$garbage', '$scrypt$ln=40,r=8,p=1$AA$AA', '$argon2id$v=19$broken']) {
      assert.equal(await hasher.verify(stored, password), false, stored);
      assert.equal(isAcceptedPasswordHash(stored), false, stored);
    }
  });

  test('needsRehash: every imported format, other argon2 variants and weaker parameters', async () => {
    const hasher = new Argon2Hasher({ memoryCost: 19_456, timeCost: 3, parallelism: 1 });
    assert.equal(hasher.needsRehash(await hasher.hash(password)), false);
    assert.equal(hasher.needsRehash(await new Argon2Hasher().hash(password)), true, 't=2 is weaker than t=3');
    assert.equal(hasher.needsRehash(await argon2Hash(password, { algorithm: 1, memoryCost: 19_456, timeCost: 3 })), true, 'argon2i');
    assert.equal(hasher.needsRehash(bcryptHash(password, { cost: 4 })), true);
    assert.equal(hasher.needsRehash(pbkdf2Hash(password, 'sha256')), true);
    assert.equal(hasher.needsRehash(scryptHash(password)), true);
  });

  test('user creation accepts the documented formats and refuses anything else', async () => {
    const created: string[] = [];
    const store = { createUser: async (user: { username: string }) => void created.push(user.username), appendAudit: async () => {} } as never;
    const clock = { nowSeconds: () => 1 };
    const hasher = new Argon2Hasher();
    for (const passwordHash of [bcryptHash(password, { cost: 4 }), pbkdf2Hash(password, 'sha512'), scryptHash(password), await hasher.hash(password)]) {
      await createUser(store, hasher, clock, { username: `u${created.length}`, passwordHash });
    }
    assert.equal(created.length, 4);
    await assert.rejects(createUser(store, hasher, clock, { username: 'bad', passwordHash: 'hunter2-not-a-hash' }), (error: Error) => {
      assert.match(error.message, /password hash must be/);
      assert.doesNotMatch(error.message, /hunter2/);
      return true;
    });
  });
});

// JWT signatures go to the thread pool only while this count is 0 (docs/tokens.md "What each costs").
test('every hash and verification, argon2id or imported, failed or not, counts as in flight on the thread pool until it ends', async () => {
  const hasher = new Argon2Hasher();
  const stored = await hasher.hash('counted-password');
  const imported = bcryptHash('counted-password', { cost: 4 });
  assert.equal(passwordHashesInFlight(), 0);
  const work = [hasher.hash('another'), hasher.verify(stored, 'wrong'), hasher.verify(imported, 'counted-password'), hasher.verify('$argon2id$garbage', 'x')];
  assert.equal(passwordHashesInFlight(), 4);
  const [, wrong, legacy, malformed] = await Promise.all(work);
  assert.deepEqual([wrong, legacy, malformed], [false, true, false]);
  assert.equal(passwordHashesInFlight(), 0);
});

describe('imported hashes log in once and are argon2id afterwards (over HTTP)', () => {
  let server: TestServer;
  let client: { id: string; secret: string | undefined };

  before(async () => {
    // Upgrades to the production cost are under test: the production hasher.
    server = await startTestServer({ realArgon2: true });
    client = await server.client({ grants: ['password'] });
  });
  after(async () => {
    assert.deepEqual(findLeaks(server.logs, server.secrets), []);
    await server.close();
  });

  const cases: [string, (password: string) => string | Promise<string>][] = [
    ['bcrypt', (password) => bcryptHash(password, { cost: 4, version: '2y' })],
    ['PBKDF2-SHA256', (password) => pbkdf2Hash(password, 'sha256')],
    ['PBKDF2-SHA512', (password) => pbkdf2Hash(password, 'sha512')],
    ['scrypt', scryptHash],
    ['argon2id below the configured floor (t=1)', (password) => argon2Hash(password, { algorithm: 2, memoryCost: 8192, timeCost: 1 })],
  ];

  for (const [name, make] of cases) {
    test(name, async () => {
      const username = `imported-${name.replace(/\W+/g, '-')}`;
      const password = `pw for ${username}`;
      server.secrets.add(password);
      await createUser(server.app.store, server.hasher, server.clock, { username, passwordHash: await make(password) });
      const login = () =>
        postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password }, { basic: [client.id, client.secret!], secrets: server.secrets });

      const wrong = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password: 'not it' }, { basic: [client.id, client.secret!] });
      assert.equal(wrong.status, 400);
      assert.doesNotMatch((await server.app.store.findUser(username))!.passwordHash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);

      assert.equal((await login()).status, 200);
      const upgraded = (await server.app.store.findUser(username))!.passwordHash;
      assert.match(upgraded, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      assert.equal(server.hasher.needsRehash(upgraded), false);
      assert.equal((await login()).status, 200);
      assert.equal((await server.app.store.findUser(username))!.passwordHash, upgraded, 'not re-hashed again');
    });
  }

  test('an empty password runs a real verification too, for unknown and known users', async () => {
    await server.user('empty-pw-user', 'a real password here');
    const before = { verifies: server.hasher.verifies, dummy: server.hasher.dummyVerifies };
    for (const username of ['empty-pw-user', 'no-such-user-at-all']) {
      const response = await postForm(`${server.url}/oauth/token`, { grant_type: 'password', username, password: '' }, { basic: [client.id, client.secret!] });
      assert.equal(response.status, 400);
      assert.equal(response.body.error, 'invalid_grant');
    }
    assert.equal(server.hasher.verifies, before.verifies + 1);
    assert.equal(server.hasher.dummyVerifies, before.dummy + 1);
  });
});
