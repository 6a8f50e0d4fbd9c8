import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareSpecificity,
  compileTemplate,
  isWithinFolder,
  matchTemplate,
  parsePath,
  ScopeCoverage,
  scopesCover,
} from '../../src/core/scope-coverage.ts';

const target = (service: string, method = 'GET', path = '/invoke/x/y') => ({ service, method, segments: parsePath(path)! });

describe('parsePath', () => {
  it('splits and decodes segments', () => {
    assert.deepEqual(parsePath('/rest/orders/42'), ['rest', 'orders', '42']);
    assert.deepEqual(parsePath('/rest/%41b%20c'), ['rest', 'Ab c']);
    assert.deepEqual(parsePath('/rest/%c3%a9'), ['rest', 'é']);
    assert.deepEqual(parsePath('/'), []);
  });
  it('ignores one trailing slash', () => {
    assert.deepEqual(parsePath('/rest/orders/'), ['rest', 'orders']);
    assert.equal(parsePath('/rest/orders//'), undefined);
  });
  it('refuses dot segments, also percent-encoded, instead of resolving them', () => {
    for (const path of ['/rest/../admin', '/rest/./x', '/rest/%2e%2e/admin', '/rest/%2E%2e/admin', '/rest/%2e', '/..']) {
      assert.equal(parsePath(path), undefined, path);
    }
    assert.deepEqual(parsePath('/rest/...'), ['rest', '...'], 'three dots are an ordinary name');
  });

  it('refuses segments an upstream would read as dot segments (issue 18: `;` parameters, whitespace, double decoding, fullwidth)', () => {
    const readings = [
      '/rest/public/..;/secret', '/rest/public/..;jsessionid=x/secret', '/rest/public/.;/x', '/rest/public/%2e%2e;/secret',
      '/rest/public/%252e%252e/secret', '/rest/public/%25252e%25252e/secret', '/rest/public/..%09/secret', '/rest/public/..%20/secret',
      '/rest/public/.%20./secret', '/rest/public/%EF%BC%8E%EF%BC%8E/secret', '/rest/public/%EF%BC%8E/x', '/rest/public/%E2%80%A4%E2%80%A4/x',
      '/rest/public/%252F/x', '/rest/public/a%255Cb', '/rest/public/%EF%BC%8F', '/rest/public/;x/secret', '/rest/public/%20/x',
    ];
    for (const path of readings) assert.equal(parsePath(path), undefined, path);
    assert.deepEqual(parsePath('/rest/a;b/v1.2/%25/...;x/x..y/%E2%82%AC'), ['rest', 'a;b', 'v1.2', '%', '...;x', 'x..y', '€'], 'ordinary names pass');
  });
  it('refuses encoded separators, NUL, empty segments and malformed escapes', () => {
    for (const path of ['/rest/a%2Fb', '/rest/a%5Cb', '/rest/a%00', '/rest//a', '/rest/%zz', '/rest/%c3', 'rest/a', '']) {
      assert.equal(parsePath(path), undefined, path);
    }
  });
  it('is case-sensitive', () => {
    assert.deepEqual(parsePath('/Rest/A'), ['Rest', 'A']);
  });
});

describe('URL templates', () => {
  it('captures {param} segments decoded', () => {
    const t = compileTemplate('GET /rest/orders/{id}');
    assert.deepEqual(matchTemplate(t, 'GET', parsePath('/rest/orders/4%202')!), { id: '4 2' });
    assert.equal(matchTemplate(t, 'GET', parsePath('/rest/orders')!), undefined, 'a param needs a segment');
    assert.equal(matchTemplate(t, 'GET', parsePath('/rest/orders/1/2')!), undefined, 'a param is one segment');
  });
  it('matches the method exactly, * any, and HEAD against GET', () => {
    const t = compileTemplate('GET /rest/a');
    assert.ok(matchTemplate(t, 'GET', ['rest', 'a']));
    assert.ok(matchTemplate(t, 'HEAD', ['rest', 'a']));
    assert.equal(matchTemplate(t, 'POST', ['rest', 'a']), undefined);
    assert.equal(matchTemplate(t, 'get', ['rest', 'a']), undefined, 'methods are case-sensitive');
    assert.ok(matchTemplate(compileTemplate('* /rest/a'), 'DELETE', ['rest', 'a']));
  });
  it('* is exactly one segment and ** zero or more', () => {
    const one = compileTemplate('GET /rest/*/x');
    assert.ok(matchTemplate(one, 'GET', ['rest', 'q', 'x']));
    assert.equal(matchTemplate(one, 'GET', ['rest', 'x']), undefined);
    const rest = compileTemplate('* /rest/admin/**');
    assert.ok(matchTemplate(rest, 'PUT', ['rest', 'admin']));
    assert.ok(matchTemplate(rest, 'PUT', ['rest', 'admin', 'a', 'b', 'c']));
    assert.equal(matchTemplate(rest, 'PUT', ['rest', 'administrator']), undefined);
    const middle = compileTemplate('GET /a/**/z');
    assert.ok(matchTemplate(middle, 'GET', ['a', 'z']));
    assert.ok(matchTemplate(middle, 'GET', ['a', 'b', 'c', 'z']));
    assert.equal(matchTemplate(middle, 'GET', ['a', 'b']), undefined);
  });
  it('treats trailing slashes and percent-encoded literals alike', () => {
    const t = compileTemplate('GET /rest/orders/');
    assert.ok(matchTemplate(t, 'GET', parsePath('/rest/orders')!));
    assert.ok(matchTemplate(compileTemplate('GET /rest/%6Frders'), 'GET', parsePath('/rest/orders')!));
  });
  it('partial braces are literal', () => {
    const t = compileTemplate('GET /rest/{id}.json');
    assert.ok(matchTemplate(t, 'GET', ['rest', '{id}.json']));
    assert.equal(matchTemplate(t, 'GET', ['rest', '1.json']), undefined);
  });
  it('refuses templates with dot segments', () => {
    assert.throws(() => compileTemplate('GET /rest/../x'));
    assert.throws(() => compileTemplate('orders'));
  });
  it('orders by specificity', () => {
    const list = ['* /rest/**', 'GET /rest/orders/{id}', 'GET /rest/orders/new', '* /rest/orders/{id}'].map(compileTemplate);
    assert.deepEqual(list.sort(compareSpecificity).map((t) => t.text), [
      'GET /rest/orders/new',
      'GET /rest/orders/{id}',
      '* /rest/orders/{id}',
      '* /rest/**',
    ]);
  });
});

describe('ScopeCoverage', () => {
  it('covers a listed service, exactly', () => {
    const c = new ScopeCoverage(['orders.v1:getOrder']);
    assert.ok(c.covers(target('orders.v1:getOrder')));
    assert.ok(!c.covers(target('orders.v1:getorder')), 'case-sensitive');
    assert.ok(!c.covers(target('orders.v1:getOrders')));
  });
  it('a folder covers everything below it, not siblings with the same prefix', () => {
    const c = new ScopeCoverage(['orders']);
    assert.ok(c.covers(target('orders:list')));
    assert.ok(c.covers(target('orders.v1.admin:drop')));
    assert.ok(!c.covers(target('ordersX:list')));
    assert.ok(!c.covers(target('shop.orders:list')));
    assert.ok(isWithinFolder('a.b', 'a') && !isWithinFolder('ab', 'a'));
  });
  it('a template covers a matching method and path, whatever the service', () => {
    const c = new ScopeCoverage(['GET /rest/orders/{id}']);
    assert.ok(c.covers(target('any:svc', 'GET', '/rest/orders/1')));
    assert.ok(!c.covers(target('any:svc', 'DELETE', '/rest/orders/1')));
    assert.ok(!c.covers(target('any:svc', 'GET', '/rest/orders')));
  });
  it('nothing covers with an empty list or unknown scope names', () => {
    assert.ok(!new ScopeCoverage([]).covers(target('a:b')));
    const map = new Map([['s1', new ScopeCoverage(['a'])]]);
    assert.ok(scopesCover(['nope', 's1'], map, target('a:b')));
    assert.ok(!scopesCover(['nope'], map, target('a:b')));
    assert.ok(!scopesCover([], map, target('a:b')));
  });
});
