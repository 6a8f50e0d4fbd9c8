import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isS256Challenge, verifierMatches } from '../../src/core/pkce.ts';

describe('PKCE S256 (RFC 7636)', () => {
  // RFC 7636 Appendix B.
  const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

  test('the RFC\'s example verifier matches its challenge; anything else does not', () => {
    assert.ok(isS256Challenge(challenge));
    assert.ok(verifierMatches(verifier, challenge));
    assert.equal(verifierMatches(`${verifier.slice(0, -1)}F`, challenge), false);
    assert.equal(verifierMatches(challenge, challenge), false, 'plain: the challenge is not its own verifier');
  });

  test('§4.1: a verifier has 43 to 128 unreserved characters; §4.2: a challenge 43 base64url ones', () => {
    assert.equal(verifierMatches('short', challenge), false);
    assert.equal(verifierMatches(`${verifier}+`, challenge), false);
    assert.equal(verifierMatches('a'.repeat(129), challenge), false);
    assert.equal(isS256Challenge(`${challenge}=`), false);
    assert.equal(isS256Challenge(challenge.slice(1)), false);
  });
});
