import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { describeDirectoryConfig } from '../../src/directory/directory-config.ts';

const BASE = {
  PORTCULLIS_DIRECTORY_URLS: 'ldaps://dc1.corp.example:636,ldaps://dc2.corp.example:636',
  PORTCULLIS_DIRECTORY_USER_BASE: 'ou=people,dc=example,dc=org',
  PORTCULLIS_DIRECTORY_GROUP_BASE: 'ou=groups,dc=example,dc=org',
};

describe('directory settings (docs/directory.md)', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'portcullis-directory-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const refuses = (env: Record<string, string>, message: RegExp, flags: { config?: string } = {}) =>
    assert.throws(() => loadConfig({ config: undefined, ...flags }, env), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, message);
      return true;
    });

  it('no directory.urls: no directory', () => {
    assert.equal(loadConfig({ config: undefined }, {}).directory, undefined);
  });

  it('defaults for OpenLDAP, and the Active Directory ones with type: active_directory', () => {
    const ldap = loadConfig({ config: undefined }, BASE).directory!;
    assert.deepEqual(
      [ldap.type, ldap.userFilter, ldap.usernameAttribute, ldap.groups, ldap.timeoutMs, ldap.poolSize, ldap.groupsMaxAge, ldap.requiredForReadiness],
      ['ldap', '(objectClass=inetOrgPerson)', 'uid', 'search', 5000, 10, 300, false],
    );
    const ad = loadConfig({ config: undefined }, { ...BASE, PORTCULLIS_DIRECTORY_TYPE: 'active_directory' }).directory!;
    assert.deepEqual([ad.userFilter, ad.usernameAttribute, ad.groups, ad.groupFilter], ['(&(objectCategory=person)(objectClass=user))', 'sAMAccountName', 'member_of', '(objectClass=group)']);
  });

  it('from the config file, group_map a mapping; the environment overrides, with group_map as JSON', () => {
    const yaml = file(
      'portcullis.yaml',
      [
        'directory:',
        '  urls: [ "ldap://127.0.0.1:389" ]',
        '  user_base: ou=people,dc=example,dc=org',
        '  groups: member_of',
        '  disabled_filter: "(pwdAccountLockedTime=*)"',
        '  group_map:',
        '    "cn=Portcullis Admins,ou=groups,dc=example,dc=org": Administrators',
        '    staff: [staff, readers]',
        '',
      ].join('\n'),
    );
    const fromFile = loadConfig({ config: yaml }, {}).directory!;
    assert.deepEqual(fromFile.groupMap, { 'cn=Portcullis Admins,ou=groups,dc=example,dc=org': ['Administrators'], staff: ['staff', 'readers'] });
    assert.equal(fromFile.disabledFilter, '(pwdAccountLockedTime=*)');
    const overridden = loadConfig({ config: yaml }, { PORTCULLIS_DIRECTORY_GROUP_MAP: '{"ops": "staff"}' }).directory!;
    assert.deepEqual(overridden.groupMap, { ops: ['staff'] });
  });

  it('the bind password comes from the environment or a file, never from the config file, and is never shown back', () => {
    const withEnv = loadConfig({ config: undefined }, { ...BASE, PORTCULLIS_DIRECTORY_BIND_DN: 'cn=svc,dc=example,dc=org', PORTCULLIS_DIRECTORY_BIND_PASSWORD: 's3cret-from-env' }).directory!;
    assert.deepEqual([withEnv.bindPassword, withEnv.bindPasswordSource], ['s3cret-from-env', 'environment']);
    const secretFile = file('bind-password', 's3cret-from-file\n');
    const withFile = loadConfig({ config: undefined }, { ...BASE, PORTCULLIS_DIRECTORY_BIND_DN: 'cn=svc,dc=example,dc=org', PORTCULLIS_DIRECTORY_BIND_PASSWORD_FILE: secretFile }).directory!;
    assert.deepEqual([withFile.bindPassword, withFile.bindPasswordSource], ['s3cret-from-file', 'file']);
    const shown = JSON.stringify(describeDirectoryConfig(withFile));
    assert.ok(!shown.includes('s3cret'));
    assert.match(shown, /"bind_password":"\*{8} \(from the file\)"/);

    const inYaml = file('with-password.yaml', 'directory:\n  urls: ldaps://dc1:636\n  user_base: dc=x\n  bind_dn: cn=svc,dc=x\n  bind_password: in-clear\n');
    assert.throws(() => loadConfig({ config: inYaml }, {}), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /directory\.bind_password cannot be written in the config file; set PORTCULLIS_DIRECTORY_BIND_PASSWORD or directory\.bind_password_file/);
      assert.ok(!error.message.includes('in-clear'));
      return true;
    });
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_BIND_DN: 'cn=svc,dc=x' }, /directory\.bind_dn needs its password/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_BIND_PASSWORD: 'x' }, /without directory\.bind_dn/);
    refuses(
      { ...BASE, PORTCULLIS_DIRECTORY_BIND_DN: 'cn=svc,dc=x', PORTCULLIS_DIRECTORY_BIND_PASSWORD: 'x', PORTCULLIS_DIRECTORY_BIND_PASSWORD_FILE: secretFile },
      /both set/,
    );
  });

  it('passwords never travel unencrypted to another host unless said explicitly', () => {
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_URLS: 'ldap://dc1.corp.example' }, /would send passwords unencrypted; use ldaps:\/\/, set directory\.start_tls/);
    assert.equal(loadConfig({ config: undefined }, { ...BASE, PORTCULLIS_DIRECTORY_URLS: 'ldap://dc1.corp.example', PORTCULLIS_DIRECTORY_START_TLS: 'true' }).directory!.startTls, true);
    assert.ok(loadConfig({ config: undefined }, { ...BASE, PORTCULLIS_DIRECTORY_URLS: 'ldap://dc1.corp.example', PORTCULLIS_DIRECTORY_ALLOW_PLAIN_LDAP: 'true' }).directory);
    for (const loopback of ['ldap://127.0.0.1:3389', 'ldap://localhost', 'ldap://[::1]:389']) {
      assert.ok(loadConfig({ config: undefined }, { ...BASE, PORTCULLIS_DIRECTORY_URLS: loopback }).directory, loopback);
    }
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_START_TLS: 'true' }, /start_tls applies to ldap:\/\/ URLs/);
  });

  it('each mistake stops start-up with one line naming the setting', () => {
    refuses({ PORTCULLIS_DIRECTORY_URLS: 'ldaps://dc1' }, /directory\.urls needs directory\.user_base/);
    refuses({ PORTCULLIS_DIRECTORY_USER_BASE: 'dc=x' }, /directory\.user_base needs directory\.urls/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_URLS: 'https://dc1' }, /PORTCULLIS_DIRECTORY_URLS: "https:\/\/dc1" is not an ldap:\/\/ or ldaps:\/\/ URL/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_URLS: 'ldaps://user:pw@dc1' }, /scheme, host and port only/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_USER_FILTER: '(objectClass=person' }, /PORTCULLIS_DIRECTORY_USER_FILTER is not an LDAP filter/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_USER_BASE: 'people' }, /PORTCULLIS_DIRECTORY_USER_BASE is not a distinguished name/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_USERNAME_ATTRIBUTE: 'uid)(x' }, /not an attribute name/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_TYPE: 'novell' }, /must be one of ldap, active_directory/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_GROUP_BASE: '' , PORTCULLIS_DIRECTORY_GROUPS: 'search' }, /search needs directory\.group_base/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_GROUP_MAP: 'staff=staff' }, /PORTCULLIS_DIRECTORY_GROUP_MAP must be a JSON object/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_GROUP_MAP: '{"cn=a,,": "x"}' }, /is not a distinguished name/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_GROUP_MAP: '{"staff": "bad/name"}' }, /must map to Portcullis group names/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_TIMEOUT_MS: '10' }, /PORTCULLIS_DIRECTORY_TIMEOUT_MS must be an integer from 100/);
    refuses({ ...BASE, PORTCULLIS_DIRECTORY_CA_FILE: join(dir, 'missing.pem') }, /directory\.ca_file: file .* does not exist/);
  });
});
