import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateServerKey, parseServerKey, SecretBox } from '../../src/core/secret-box.ts';

describe('SecretBox (secrets at rest under the server key)', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed for the same context, and never shows the plaintext in the sealed form', () => {
    const sealed = box.seal('a private key', 'signing-key:k1');
    assert.match(sealed, /^v1\.[A-Za-z0-9_-]+$/);
    assert.ok(!sealed.includes('private'));
    assert.equal(box.open(sealed, 'signing-key:k1').toString('utf8'), 'a private key');
    assert.notEqual(box.seal('a private key', 'signing-key:k1'), sealed, 'a fresh nonce per seal');
  });

  it('refuses a value moved to another context, altered, truncated, or sealed under another key', () => {
    const sealed = box.seal('totp secret', 'mfa:alice');
    assert.throws(() => box.open(sealed, 'mfa:bob'), /does not open under this server key/);
    const bytes = Buffer.from(sealed.slice(3), 'base64url');
    bytes[14] = bytes[14]! ^ 1;
    assert.throws(() => box.open(`v1.${bytes.toString('base64url')}`, 'mfa:alice'), /does not open/);
    assert.throws(() => box.open('v1.AAAA', 'mfa:alice'), /malformed/);
    assert.throws(() => box.open(sealed.slice(3), 'mfa:alice'), /malformed/);
    assert.throws(() => new SecretBox(randomBytes(32)).open(sealed, 'mfa:alice'), /does not open/);
  });

  it('has a fingerprint that is stable for a key and differs between keys', () => {
    const key = randomBytes(32);
    assert.equal(new SecretBox(key).check, new SecretBox(key).check);
    assert.notEqual(new SecretBox(key).check, box.check);
    assert.ok(!new SecretBox(key).check.includes(key.toString('hex').slice(0, 8)));
  });

  it('reads keys written in hex, base64 and base64url, and nothing else', () => {
    const key = randomBytes(32);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url'), `${key.toString('base64')}\n`]) {
      assert.deepEqual(parseServerKey(text), key, text);
    }
    assert.equal(parseServerKey(generateServerKey())?.length, 32);
    for (const bad of ['', 'short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64'), randomBytes(33).toString('base64')]) {
      assert.equal(parseServerKey(bad), undefined, bad);
    }
  });
});
