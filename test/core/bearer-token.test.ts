import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isB64Token, readBearer } from '../../src/core/bearer-token.ts';

/** RFC 6750 §2.1: the one reading of `Authorization: Bearer` the resource server, admin API, metrics and MFA share. */
describe('RFC 6750 §2.1 Authorization: Bearer (normative)', () => {
  it('takes the b64token after a case-insensitive scheme and one space or more', () => {
    assert.deepEqual(readBearer('Bearer abc-._~+/09=='), { kind: 'token', token: 'abc-._~+/09==' });
    assert.deepEqual(readBearer('bearer   abc'), { kind: 'token', token: 'abc' });
    assert.deepEqual(readBearer('BEARER abc  '), { kind: 'token', token: 'abc' }, 'hardening: trailing spaces are tolerated');
  });

  it('no header, or another scheme (client authentication by Basic), is no bearer token at all', () => {
    assert.deepEqual(readBearer(undefined), { kind: 'absent' });
    assert.deepEqual(readBearer('Basic dXNlcjpwYXNz'), { kind: 'absent' });
    assert.deepEqual(readBearer('Bearertoken'), { kind: 'absent' });
  });

  it('a Bearer header without one b64token is malformed', () => {
    for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a=b', 'Bearer tok!en', 'Bearer\ttoken', 'Bearer tök']) {
      assert.deepEqual(readBearer(header), { kind: 'malformed' }, JSON.stringify(header));
    }
  });

  it('says which configured values can be sent as a bearer token', () => {
    assert.equal(isB64Token('metrics-token-for-the-tests-0123'), true);
    assert.equal(isB64Token('abc=='), true);
    assert.equal(isB64Token('a!b'), false);
    assert.equal(isB64Token('a=b'), false);
    assert.equal(isB64Token(''), false);
  });
});
