import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { aclAllows, aclChain, nearestAcl } from '../../src/core/acl.ts';
import type { Acl } from '../../src/core/model.ts';

const acls = (...list: Acl[]) => new Map(list.map((acl) => [acl.resource, acl]));

describe('ACL chain', () => {
  it('walks from the service up through each folder', () => {
    assert.deepEqual(aclChain('a.b.c:svc'), ['a.b.c:svc', 'a.b.c', 'a.b', 'a']);
    assert.deepEqual(aclChain('a'), ['a']);
  });
  it('the nearest ACL applies alone', () => {
    const top = { resource: 'a', allow: ['g1'], deny: [] };
    const mid = { resource: 'a.b', allow: ['g2'], deny: [] };
    const own = { resource: 'a.b:svc', allow: ['g3'], deny: [] };
    assert.equal(nearestAcl('a.b:svc', acls(top, mid, own)), own);
    assert.equal(nearestAcl('a.b:other', acls(top, mid, own)), mid);
    assert.equal(nearestAcl('a.c:x', acls(top, mid, own)), top);
    assert.equal(nearestAcl('ab:x', acls(top)), undefined, 'a prefix that is not a folder does not count');
    assert.equal(nearestAcl('z:x', acls(top)), undefined);
  });
});

describe('ACL evaluation', () => {
  const acl = { resource: 'a', allow: ['staff', 'ops'], deny: ['contractors'] };
  it('no ACL lets any authenticated caller in, even without an owner', () => {
    assert.ok(aclAllows(undefined, []));
    assert.ok(aclAllows(undefined, undefined));
  });
  it('needs an allowed group', () => {
    assert.ok(aclAllows(acl, ['ops']));
    assert.ok(!aclAllows(acl, ['visitors']));
    assert.ok(!aclAllows(acl, []));
    assert.ok(!aclAllows(acl, ['Staff']), 'group names are case-sensitive');
  });
  it('deny wins over allow', () => {
    assert.ok(!aclAllows(acl, ['staff', 'contractors']));
  });
  it('a token without an owner fails any ACL', () => {
    assert.ok(!aclAllows(acl, undefined));
  });
  it('an ACL that allows nobody denies everybody', () => {
    assert.ok(!aclAllows({ resource: 'a', allow: [], deny: [] }, ['staff']));
  });
});
