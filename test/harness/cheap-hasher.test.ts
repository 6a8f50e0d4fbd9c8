import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashSync } from '@node-rs/bcrypt';
import { Argon2Hasher, isAcceptedPasswordHash } from '../../src/core/password-hash.ts';
import { CheapHasher } from '../helpers/cheap-hasher.ts';

describe('the cheap hasher of the test servers', () => {
  const hasher = new CheapHasher();

  it('verifies for real: the right password passes, a wrong one fails', async () => {
    const stored = await hasher.hash('correct horse');
    assert.match(stored, /^\$argon2id\$v=19\$m=8,t=1,p=1\$/);
    assert.equal(isAcceptedPasswordHash(stored), true, 'a hash the store accepts');
    assert.equal(await hasher.verify(stored, 'correct horse'), true);
    assert.equal(await hasher.verify(stored, 'correct horsE'), false);
    assert.equal(await hasher.verify(stored, ''), false);
  });

  it('salts: the same password hashes differently each time', async () => {
    assert.notEqual(await hasher.hash('same'), await hasher.hash('same'));
  });

  it('verifyDummy verifies against a hash of its own, as a real login does', async () => {
    const verified: string[] = [];
    const watched = new CheapHasher();
    const verify = watched.verify.bind(watched);
    watched.verify = async (stored, password) => {
      verified.push(stored);
      return verify(stored, password);
    };
    await watched.verifyDummy('anything');
    await watched.verifyDummy('anything else');
    assert.equal(verified.length, 2);
    assert.match(verified[0]!, /^\$argon2id\$v=19\$m=8,t=1,p=1\$/, 'the same cost as a real user');
    assert.equal(verified[0], verified[1], 'one dummy hash, made once');
  });

  it('asks for a rehash of imported formats and other argon2 variants, not of its own hashes', async () => {
    assert.equal(hasher.needsRehash(await hasher.hash('pw')), false);
    assert.equal(hasher.needsRehash(await new Argon2Hasher().hash('pw')), false, 'a costlier argon2id is kept');
    assert.equal(hasher.needsRehash(hashSync('pw', 4)), true);
    assert.equal(hasher.needsRehash('$argon2i$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2g'), true);
  });
});
