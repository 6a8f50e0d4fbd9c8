import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isRegisteredRedirectUri, redirectUriProblem, redirectUriSource } from '../../src/core/redirect-uri.ts';

describe('redirect URIs (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §4.1.3)', () => {
  test('what may be registered', () => {
    for (const uri of [
      'https://app.example/callback',
      'https://app.example:8443/cb?tenant=a',
      'http://127.0.0.1/callback',
      'http://127.0.0.1:8080/callback',
      'http://[::1]/cb',
      'http://localhost:3000/cb',
      'com.example.app:/oauth2redirect',
      'com.example.app://callback',
    ]) {
      assert.equal(redirectUriProblem(uri), undefined, uri);
    }
  });

  test('what may not, and why', () => {
    for (const [uri, problem] of [
      ['/callback', /not an absolute URI/],
      ['https://app.example/cb#frag', /fragment/],
      ['https://user:pass@app.example/cb', /user information/],
      ['http://app.example/cb', /only to 127\.0\.0\.1/],
      ['http://10.0.0.1/cb', /only to 127\.0\.0\.1/],
      ['javascript:alert(1)', /private-use scheme/],
      ['data:text/html,hi', /private-use scheme/],
      ['file:///etc/passwd', /private-use scheme/],
      ['myapp:/cb', /private-use scheme/],
      ['https://app.example/a b', /spaces/],
      ['', /1 to 2000/],
      [`https://app.example/${'a'.repeat(2000)}`, /1 to 2000/],
    ] as const) {
      assert.match(redirectUriProblem(uri) ?? 'accepted', problem, uri);
    }
  });

  test('exact string match, except the port of a loopback IP literal', () => {
    const registered = ['https://app.example/cb', 'http://127.0.0.1/native', 'http://[::1]:9000/v6', 'http://localhost:3000/cb'];
    assert.ok(isRegisteredRedirectUri(registered, 'https://app.example/cb'));
    for (const other of ['https://app.example/cb/', 'https://APP.example/cb', 'https://app.example/cb?x=1', 'https://app.example:443/cb']) {
      assert.equal(isRegisteredRedirectUri(registered, other), false, other);
    }
    assert.ok(isRegisteredRedirectUri(registered, 'http://127.0.0.1:51004/native'));
    assert.ok(isRegisteredRedirectUri(registered, 'http://127.0.0.1/native'));
    assert.ok(isRegisteredRedirectUri(registered, 'http://[::1]/v6'));
    assert.ok(isRegisteredRedirectUri(registered, 'http://[::1]:1234/v6'));
    assert.equal(isRegisteredRedirectUri(registered, 'http://127.0.0.1:51004/native/more'), false);
    assert.equal(isRegisteredRedirectUri(registered, 'http://[::1]:1234/native'), false, 'another host');
    assert.equal(isRegisteredRedirectUri(registered, 'http://localhost:3001/cb'), false, 'localhost is matched exactly');
  });

  test('the CSP source of a redirect URI', () => {
    assert.equal(redirectUriSource('https://app.example/cb?x=1'), 'https://app.example');
    assert.equal(redirectUriSource('http://127.0.0.1:51004/cb'), 'http://127.0.0.1:51004');
    assert.equal(redirectUriSource('http://[::1]:9000/cb'), 'http:');
    assert.equal(redirectUriSource('com.example.app:/cb'), 'com.example.app:');
  });
});
