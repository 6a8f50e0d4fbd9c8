import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commonName, dnKey, GroupMap, parseDn } from '../../src/directory/group-map.ts';

describe('distinguished names (RFC 4514 §3)', () => {
  it('splits RDNs and pairs, undoing escapes and hex pairs', () => {
    assert.deepEqual(parseDn('cn=Smith\\, John+uid=js,ou=People,dc=example,dc=org'), [
      [
        { type: 'cn', value: 'Smith, John' },
        { type: 'uid', value: 'js' },
      ],
      [{ type: 'ou', value: 'People' }],
      [{ type: 'dc', value: 'example' }],
      [{ type: 'dc', value: 'org' }],
    ]);
    assert.deepEqual(parseDn('CN=Caf\\C3\\A9,O=x'), [[{ type: 'cn', value: 'Café' }], [{ type: 'o', value: 'x' }]]);
    assert.deepEqual(parseDn(''), []);
    assert.throws(() => parseDn('not a dn'));
    assert.throws(() => parseDn('cn=a,'));
  });

  it('compares case-insensitively, ignoring spaces around separators and the order of a multi-valued RDN', () => {
    assert.equal(dnKey('CN=Staff, OU=Groups,DC=Example,DC=org'), dnKey('cn=staff,ou=groups,dc=example,dc=org'));
    assert.equal(dnKey('cn=a+uid=b,dc=x'), dnKey('uid=b+cn=a,dc=x'));
    assert.notEqual(dnKey('cn=staff,ou=groups,dc=example,dc=org'), dnKey('cn=staff,ou=other,dc=example,dc=org'));
    assert.notEqual(dnKey('cn=a\\,b,dc=x'), dnKey('cn=a,cn=b,dc=x'), 'an escaped comma is part of the value');
  });

  it('reads a group\'s common name from its first RDN only when that is a cn', () => {
    assert.equal(commonName('CN=Domain Admins,CN=Users,DC=corp,DC=example'), 'Domain Admins');
    assert.equal(commonName('ou=staff,dc=x'), undefined);
  });
});

describe('the group map', () => {
  const map = new GroupMap({
    'CN=Portcullis Admins,OU=Groups,DC=corp,DC=example': ['Administrators'],
    staff: ['staff', 'readers'],
    Contractors: ['contractors'],
  });

  it('maps by DN and by common name, case-insensitively, sorted and without repeats', () => {
    assert.deepEqual(
      map.map(['cn=portcullis admins,ou=groups,dc=corp,dc=example', 'cn=Staff,ou=groups,dc=corp,dc=example', 'cn=STAFF,ou=elsewhere,dc=x']),
      ['Administrators', 'readers', 'staff'],
    );
    assert.deepEqual(map.map(['cn=contractors,dc=x']), ['contractors']);
  });

  it('gives nothing for groups it does not name, and for values that are not DNs', () => {
    assert.deepEqual(map.map(['cn=Portcullis Admins,OU=Other,DC=corp,DC=example', 'cn=nobody,dc=x', 'garbage', '']), []);
    assert.deepEqual(map.map([]), []);
  });

  it('lists the Portcullis groups it names', () => {
    assert.deepEqual(map.targets(), ['Administrators', 'contractors', 'readers', 'staff']);
  });

  it('maps a user in 5,000 groups against a map of 2,000', () => {
    const many: Record<string, string[]> = {};
    for (let i = 0; i < 2_000; i++) many[`cn=mapped-${i},ou=groups,dc=corp,dc=example`] = [`g${i % 50}`];
    const big = new GroupMap(many);
    const groups = Array.from({ length: 5_000 }, (_, i) => `cn=${i % 2 ? 'mapped' : 'other'}-${i},ou=groups,dc=corp,dc=example`);
    const mapped = big.map(groups);
    // Every odd i below 2,000 is mapped: its g(i % 50) is odd.
    assert.deepEqual(mapped, Array.from({ length: 25 }, (_, k) => `g${2 * k + 1}`).sort());
  });
});
