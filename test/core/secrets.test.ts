import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hashSecret, secretMatches } from '../../src/core/secrets.ts';

// docs/oauth.md "Stored data": tokens and client secrets are stored as SHA-256 digests, base64url.
describe('hashSecret', () => {
  it('is the SHA-256 of the UTF-8 bytes, base64url without padding: digests stored by earlier versions still match', () => {
    assert.equal(hashSecret('abc'), 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    assert.equal(hashSecret('pässwörd ✓'), '91Q3XMx3UxqLH_ay5CZGoDX-al6IxmoqCEJ2hii8Ovg');
  });

  it('a secret matches its own digest only', () => {
    assert.equal(secretMatches('abc', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'), true);
    assert.equal(secretMatches('abd', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'), false);
    assert.equal(secretMatches('', 'ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0'), false);
  });
});
