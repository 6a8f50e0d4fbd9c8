import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../../src/core/clock.ts';
import type { DirectoryConfig } from '../../src/directory/directory-config.ts';
import { DirectoryUnavailable } from '../../src/directory/ldap-connection.ts';
import { LdapDirectory } from '../../src/directory/ldap-directory.ts';
import { freePort } from '../helpers/processes.ts';
import { GROUPS, group, PEOPLE, person, requireSlapd, SERVICE_DN, SERVICE_PASSWORD, type Slapd, SUFFIX, startSlapd, userDn } from '../helpers/slapd.ts';

/** Where slapd's log is once what it logged of earlier operations has arrived. */
async function settledMark(slapd: Slapd): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 100));
  return slapd.mark();
}

/** Settings for the test tree; tests override what they are about. */
function settings(slapd: Slapd, overrides: Partial<DirectoryConfig> = {}): DirectoryConfig {
  return {
    type: 'ldap',
    urls: [slapd.url],
    startTls: false,
    caFile: undefined,
    allowPlainLdap: false,
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    bindPasswordSource: 'environment',
    userBase: PEOPLE,
    userFilter: '(objectClass=inetOrgPerson)',
    usernameAttribute: 'uid',
    disabledFilter: '(employeeType=disabled)',
    groups: 'search',
    memberOfAttribute: 'memberOf',
    groupBase: GROUPS,
    groupFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
    groupMap: { staff: ['staff'], [`cn=portcullis-admins,${GROUPS}`]: ['Administrators'] },
    timeoutMs: 3_000,
    poolSize: 2,
    groupsMaxAge: 300,
    requiredForReadiness: false,
    ...overrides,
  };
}

/** `josé` as the directory spells it: decomposed (NFD), the accent a combining character. */
const JOSE_NFD = 'jose\u0301';
const JOSE_NFC = JOSE_NFD.normalize('NFC');
const base64 = (text: string) => Buffer.from(text).toString('base64');

const TREE = [
  person('alice', 'alice-password'),
  // Non-ASCII LDIF values are base64 (RFC 2849).
  [`dn:: ${base64(userDn(JOSE_NFD))}`, 'objectClass: inetOrgPerson', `uid:: ${base64(JOSE_NFD)}`, 'cn: jose', 'sn: jose', ''].join('\n'),
  person('bob', 'bob-password'),
  person('carol', 'carol-password', { employeeType: 'disabled' }),
  group('staff', [userDn('alice'), userDn('bob'), userDn('carol')]),
  group('portcullis-admins', [userDn('alice')], 'groupOfUniqueNames'),
  group('unmapped', [userDn('bob')]),
].join('\n');

if (requireSlapd('LDAP directory against a real OpenLDAP')) {
  describe('search-then-bind against a real OpenLDAP', () => {
    let slapd: Slapd;
    const open: LdapDirectory[] = [];
    const directory = (overrides: Partial<DirectoryConfig> = {}, ca?: string) => {
      const made = new LdapDirectory(settings(slapd, overrides), { clock: new ManualClock(), ...(ca !== undefined ? { ca } : {}) });
      open.push(made);
      return made;
    };

    before(async () => {
      slapd = await startSlapd({ tls: true, ldif: TREE });
    });
    after(async () => {
      for (const made of open) made.close();
      await slapd?.close();
    });

    it('a right password: the entry, its groups by group search (member and uniqueMember), mapped', async () => {
      const login = await directory().authenticate('alice', 'alice-password');
      assert.ok(login.ok);
      assert.equal(login.entry.username, 'alice');
      assert.equal(login.entry.dn, userDn('alice'));
      assert.equal(login.entry.enabled, true);
      assert.deepEqual(login.entry.groupDns.map((dn) => dn.toLowerCase()).sort(), [`cn=portcullis-admins,${GROUPS}`, `cn=staff,${GROUPS}`]);
      assert.deepEqual(login.entry.groups, ['Administrators', 'staff']);
    });

    it('groups by memberOf (the memberof overlay), mapped alike; unmapped groups give nothing', async () => {
      const login = await directory({ groups: 'member_of' }).authenticate('bob', 'bob-password');
      assert.ok(login.ok);
      assert.equal(login.entry.groupDns.length, 2);
      assert.deepEqual(login.entry.groups, ['staff']);
    });

    it('the username as the directory spells it: the search matches case-insensitively (uid\'s own rule)', async () => {
      const login = await directory().authenticate('ALICE', 'alice-password');
      assert.ok(login.ok);
      assert.equal(login.entry.username, 'alice');
    });

    it('a wrong password, an unknown user and a disabled user (disabled_filter) are refused, each for its reason', async () => {
      const ldap = directory();
      assert.deepEqual(await ldap.authenticate('alice', 'not her password'), { ok: false, reason: 'wrong_password' });
      assert.deepEqual(await ldap.authenticate('nobody', 'alice-password'), { ok: false, reason: 'unknown_user' });
      assert.deepEqual(await ldap.authenticate('carol', 'carol-password'), { ok: false, reason: 'disabled_user' });
    });

    it('unknown and disabled users bind only a DN that cannot exist, never a real entry; a wrong password binds the user', async () => {
      const ldap = directory();
      const mark = await settledMark(slapd);
      await ldap.authenticate('nobody', 'x-password');
      await ldap.authenticate('carol', 'carol-password');
      await ldap.authenticate('bob', 'wrong-password');
      await new Promise((resolve) => setTimeout(resolve, 100));
      const binds = slapd.bindsSince(mark).filter((dn) => dn !== SERVICE_DN);
      assert.equal(binds.length, 3, binds.join('\n'));
      assert.match(binds[0]!, new RegExp(`^cn=portcullis-no-such-user-[0-9a-f]{24},${PEOPLE}$`));
      assert.match(binds[1]!, /^cn=portcullis-no-such-user-/, 'the disabled user is not bound');
      assert.equal(binds[2], userDn('bob'));
    });

    it('an empty password is never sent (it would be an unauthenticated bind, RFC 4513 §5.1.2)', async () => {
      const ldap = directory();
      const mark = await settledMark(slapd);
      assert.deepEqual(await ldap.authenticate('alice', ''), { ok: false, reason: 'wrong_password' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(!slapd.bindsSince(mark).includes(userDn('alice')));
    });

    it('a username with *, (, ), \\ and NUL finds nothing and binds nothing: the server saw them escaped (RFC 4515)', async () => {
      const ldap = directory();
      for (const username of ['*', 'a*', '*)(uid=*', 'alice)(|(uid=*', '\\2a', 'alice\u0000', '(uid=alice)', '*\\()\u0000']) {
        const mark = await settledMark(slapd);
        assert.deepEqual(await ldap.authenticate(username, 'alice-password'), { ok: false, reason: 'unknown_user' }, JSON.stringify(username));
        await new Promise((resolve) => setTimeout(resolve, 50));
        const log = slapd.logSince(mark);
        const filters = [...log.matchAll(/SRCH base="ou=people[^"]*" scope=2 deref=0 filter="([^"]*)"/g)].map((match) => match[1]!);
        assert.equal(filters.length, 1, log);
        // One equality filter whose value holds no `*`, `(`, `)` or bare `\`: only escapes (\XX).
        assert.match(filters[0]!, /^\(&\(objectClass=inetOrgPerson\)\(uid=(?:[^*()\\]|\\[0-9A-F]{2})+\)\)$/, `unescaped: ${filters[0]}`);
        assert.ok(slapd.bindsSince(mark).every((dn) => dn === SERVICE_DN || dn.startsWith('cn=portcullis-no-such-user-')), JSON.stringify(username));
      }
      const mark = await settledMark(slapd);
      await ldap.authenticate('*\\()\u0000', 'x');
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.match(slapd.logSince(mark), /filter="\(&\(objectClass=inetOrgPerson\)\(uid=\\2A\\5C\\28\\29\\00\)\)"/);
    });

    it('two entries for one username (an ambiguous filter) are nobody', async () => {
      slapd.add(`dn: cn=twin,${SUFFIX}\nobjectClass: inetOrgPerson\ncn: twin\nsn: twin\nuid: alice\nuserPassword: alice-password\n`);
      const ldap = directory({ userBase: SUFFIX });
      assert.deepEqual(await ldap.authenticate('alice', 'alice-password'), { ok: false, reason: 'unknown_user' });
    });

    it('lookup (for refreshing cached groups) needs no password; an unknown user is undefined', async () => {
      const ldap = directory();
      const entry = await ldap.lookup('bob');
      assert.deepEqual(entry?.groups, ['staff']);
      assert.equal((await ldap.lookup('carol'))?.enabled, false);
      assert.equal(await ldap.lookup('nobody'), undefined);
    });

    it('finds which local usernames the directory also has', async () => {
      assert.deepEqual(await directory().findNames(['Administrator', 'BOB', 'nobody', 'alice']), ['BOB', 'alice']);
      assert.deepEqual(await directory().findNames([]), []);
      // Compared in the one canonical form (docs/security.md#usernames), as logins compare them: the
      // local `josé` (NFC) is the directory's `josé` (NFD), and so is a local `JOSÉ`.
      assert.deepEqual(await directory().findNames([JOSE_NFC]), [JOSE_NFC]);
      assert.deepEqual(await directory().findNames([JOSE_NFC.toUpperCase()]), [JOSE_NFC.toUpperCase()]);
    });

    it('a wrong service account password is the directory\'s trouble (unavailable), never a user\'s wrong password', async () => {
      const ldap = directory({ bindPassword: 'not the service password' });
      await assert.rejects(ldap.authenticate('alice', 'alice-password'), (error: Error) => {
        assert.ok(error instanceof DirectoryUnavailable);
        assert.match(error.message, /refused the service account/);
        assert.ok(!error.message.includes('not the service password'));
        return true;
      });
      assert.equal(ldap.state.status, 'down');
    });

    describe('TLS', () => {
      it('ldaps:// with the CA trusted', async () => {
        const login = await directory({ urls: [slapd.ldapsUrl] }, readFileSync(slapd.caFile, 'utf8')).authenticate('alice', 'alice-password');
        assert.equal(login.ok, true);
      });

      it('StartTLS on ldap:// with the CA trusted: the bind travels encrypted', async () => {
        const mark = await settledMark(slapd);
        const ldap = directory({ urls: [slapd.url.replace('127.0.0.1', 'localhost')], startTls: true }, readFileSync(slapd.caFile, 'utf8'));
        assert.equal((await ldap.authenticate('bob', 'bob-password')).ok, true);
        await new Promise((resolve) => setTimeout(resolve, 50));
        // slapd logs the STARTTLS extended operation, then binds with a TLS security strength factor.
        assert.match(slapd.logSince(mark), /EXT oid=1\.3\.6\.1\.4\.1\.1466\.20037/);
        assert.match(slapd.logSince(mark), new RegExp(`BIND dn="${userDn('bob')}" mech=SIMPLE bind_ssf=0 ssf=(?!0\\b)\\d+`));
      });

      it('an untrusted certificate is refused by default, for ldaps:// and StartTLS: unavailable, and nothing bound', async () => {
        for (const overrides of [{ urls: [slapd.ldapsUrl] }, { urls: [slapd.url.replace('127.0.0.1', 'localhost')], startTls: true }]) {
          const mark = await settledMark(slapd);
          for (const ca of [undefined, readFileSync(slapd.otherCaFile, 'utf8')]) {
            await assert.rejects(directory(overrides, ca).authenticate('alice', 'alice-password'), (error: Error) => {
              assert.ok(error instanceof DirectoryUnavailable);
              assert.match(error.message, /certificate/);
              return true;
            });
          }
          await new Promise((resolve) => setTimeout(resolve, 50));
          assert.deepEqual(slapd.bindsSince(mark), [], 'no password was sent');
        }
      });

      it('the certificate must name the host: a trusted certificate for another name is refused', async () => {
        const ldap = directory({ urls: [slapd.ldapsUrl.replace('localhost', '127.0.0.2')] }, readFileSync(slapd.caFile, 'utf8'));
        await assert.rejects(ldap.authenticate('alice', 'alice-password'), DirectoryUnavailable);
      });
    });

    it('fails over: a first URL that refuses connections is skipped, and the one that worked is tried first next time', async () => {
      const dead = `ldap://127.0.0.1:${await freePort()}`;
      const ldap = directory({ urls: [dead, slapd.url] });
      assert.equal((await ldap.authenticate('alice', 'alice-password')).ok, true);
      assert.equal((await ldap.authenticate('bob', 'bob-password')).ok, true);
      await assert.rejects(directory({ urls: [dead] }).authenticate('alice', 'alice-password'), DirectoryUnavailable);
    });
  });

  describe('Active Directory settings against OpenLDAP with AD\'s attributes', () => {
    let slapd: Slapd;
    let ldap: LdapDirectory;
    const adUser = (name: string, control: number, groups: string[]) =>
      [
        `dn: CN=${name},${PEOPLE}`,
        'objectClass: user',
        `cn: ${name}`,
        `sn: ${name}`,
        `sAMAccountName: ${name.toLowerCase()}`,
        `userPrincipalName: ${name.toLowerCase()}@example.org`,
        `userAccountControl: ${control}`,
        'objectCategory: person',
        ...groups.map((cn) => `memberOf: CN=${cn},${GROUPS}`),
        `userPassword: ${name}-password`,
      ].join('\n') + '\n';

    before(async () => {
      slapd = await startSlapd({ flavor: 'active-directory', ldif: [adUser('Dana', 512, ['Portcullis Admins', 'Staff']), adUser('Eve', 514, ['Staff'])].join('\n') });
      ldap = new LdapDirectory(
        settings(slapd, {
          type: 'active_directory',
          userFilter: '(&(objectCategory=person)(objectClass=user))',
          usernameAttribute: 'sAMAccountName',
          disabledFilter: undefined,
          groups: 'member_of',
          groupMap: { 'Portcullis Admins': ['Administrators'], [`CN=Staff,${GROUPS}`]: ['staff'] },
        }),
        { clock: new ManualClock() },
      );
    });
    after(async () => {
      ldap?.close();
      await slapd?.close();
    });

    it('sAMAccountName logs in; memberOf maps by common name and by DN', async () => {
      const login = await ldap.authenticate('DANA', 'Dana-password');
      assert.ok(login.ok);
      assert.equal(login.entry.username, 'dana');
      assert.deepEqual(login.entry.groups, ['Administrators', 'staff']);
    });

    it('userAccountControl with ACCOUNTDISABLE (514) is a disabled user: refused, and never bound', async () => {
      const mark = await settledMark(slapd);
      assert.deepEqual(await ldap.authenticate('eve', 'Eve-password'), { ok: false, reason: 'disabled_user' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      assert.ok(!slapd.bindsSince(mark).some((dn) => dn.startsWith('cn=Eve')));
    });

    it('userPrincipalName as the username attribute', async () => {
      const byUpn = new LdapDirectory(
        settings(slapd, { type: 'active_directory', userFilter: '(objectClass=user)', usernameAttribute: 'userPrincipalName', disabledFilter: undefined, groups: 'member_of' }),
        { clock: new ManualClock() },
      );
      try {
        const login = await byUpn.authenticate('dana@example.org', 'Dana-password');
        assert.ok(login.ok);
        assert.equal(login.entry.username, 'dana@example.org');
      } finally {
        byUpn.close();
      }
    });
  });
}
