import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OAuthError } from '../../src/core/errors.ts';
import { parseResource } from '../../src/core/resource-name.ts';
import { isSubset, isValidScopeName, parseScopeParam } from '../../src/core/scope.ts';
import { constantTimeEqual, generateSecret, hashSecret, secretMatches } from '../../src/core/secrets.ts';

describe('scope names (README "Concepts", RFC 6749 §3.3)', () => {
  it('accepts printable ASCII without \\ , " and at most 100 characters', () => {
    for (const name of ['orders', 'orders:read', 'https://api.example.com/x', '!#$%&\'()*+-./:;<=>?@[]^_`{|}~', 'a'.repeat(100)]) {
      assert.equal(isValidScopeName(name), true, name);
    }
  });

  it('refuses spaces, \\, comma, double quote, non-ASCII, empty and over-long names', () => {
    for (const name of ['', 'a b', 'a\\b', 'a,b', 'a"b', 'café', 'a'.repeat(101), 'tab\there']) {
      assert.equal(isValidScopeName(name), false, JSON.stringify(name));
    }
  });
});

describe('the scope parameter', () => {
  it('splits on spaces, collapses duplicates and extra spaces', () => {
    assert.deepEqual(parseScopeParam('a  b a'), ['a', 'b']);
  });

  it('treats an absent or blank parameter as none requested', () => {
    assert.equal(parseScopeParam(undefined), undefined);
    assert.equal(parseScopeParam('   '), undefined);
  });

  it('answers invalid_scope for a malformed one', () => {
    assert.throws(
      () => parseScopeParam('a b"c'),
      (error: unknown) => error instanceof OAuthError && error.error === 'invalid_scope' && error.status === 400,
    );
  });

  it('checks subsets', () => {
    assert.equal(isSubset(['a'], ['a', 'b']), true);
    assert.equal(isSubset(['a', 'c'], ['a', 'b']), false);
    assert.equal(isSubset([], []), true);
  });
});

describe('scope resources (README "Concepts")', () => {
  it('parses folders, services and URL templates', () => {
    assert.deepEqual(parseResource('orders'), { kind: 'folder', folder: 'orders' });
    assert.deepEqual(parseResource('orders.v1'), { kind: 'folder', folder: 'orders.v1' });
    assert.deepEqual(parseResource('orders.v1:getOrder'), { kind: 'service', folder: 'orders.v1', service: 'getOrder' });
    assert.deepEqual(parseResource('GET /rest/orders/{id}'), { kind: 'template', method: 'GET', path: '/rest/orders/{id}' });
    assert.deepEqual(parseResource('* /rest/admin/**'), { kind: 'template', method: '*', path: '/rest/admin/**' });
  });

  it('refuses anything else', () => {
    for (const text of ['', 'orders..v1', '.orders', 'orders:', ':svc', 'get /rest', 'GET rest/x', 'GET  /x', 'a b']) {
      assert.equal(parseResource(text), undefined, JSON.stringify(text));
    }
  });
});

describe('generated secrets (README "Concepts", docs/security.md)', () => {
  it('carry 256 random bits in base64url and differ every time', () => {
    const a = generateSecret();
    assert.match(a, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(a, 'base64url').length, 32);
    assert.notEqual(a, generateSecret());
  });

  it('never repeat, across the refills of the random pool they are drawn from', () => {
    const seen = new Set(Array.from({ length: 2_000 }, generateSecret));
    assert.equal(seen.size, 2_000);
    for (const secret of seen) assert.equal(Buffer.from(secret, 'base64url').length, 32);
  });

  it('are stored as SHA-256 and checked against it', () => {
    const secret = generateSecret();
    const stored = hashSecret(secret);
    assert.notEqual(stored, secret);
    assert.equal(secretMatches(secret, stored), true);
    assert.equal(secretMatches(`${secret}x`, stored), false);
    assert.equal(secretMatches('', stored), false);
  });

  it('compare equal strings true and different ones false, whatever the lengths', () => {
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
  });
});
