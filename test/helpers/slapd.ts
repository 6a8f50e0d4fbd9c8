import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnSyncBounded, WatchedProcess } from './processes.ts';
import { requireService, type ServiceCheck } from './services.ts';

const SLAPD = process.env.PORTCULLIS_TEST_SLAPD ?? '/usr/sbin/slapd';
const LDAPADD = '/usr/bin/ldapadd';
const OPENSSL = '/usr/bin/openssl';
const SCHEMA_DIR = '/etc/ldap/schema';

export const SUFFIX = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
export const ROOT_PASSWORD = 'root-password-for-tests';
/** The service account ("Principal") Portcullis searches as. */
export const SERVICE_DN = `cn=portcullis,ou=services,${SUFFIX}`;
export const SERVICE_PASSWORD = 'service-password-for-tests';
export const PEOPLE = `ou=people,${SUFFIX}`;
export const GROUPS = `ou=groups,${SUFFIX}`;

/**
 * Whether the OpenLDAP suites of `suite` run: Debian's `slapd` and `ldap-utils` (and openssl for the
 * TLS certificates) must be installed. On a developer's machine without them the suite is counted
 * as skipped, with the reason; under CI it fails (.ci/run installs them).
 */
export function requireSlapd(suite: string): boolean {
  let check: ServiceCheck = { ok: true };
  for (const tool of [SLAPD, LDAPADD, OPENSSL]) {
    try {
      accessSync(tool, constants.X_OK);
    } catch {
      check = {
        ok: false,
        problem: `${tool} is not installed`,
        remedy: 'Install Debian\'s OpenLDAP server and tools (apt-get install slapd ldap-utils), or set PORTCULLIS_TEST_SLAPD.',
      };
      break;
    }
  }
  return requireService(suite, check);
}

/** An `{SSHA}` password value, as OpenLDAP stores them (RFC 2307 style, salted SHA-1). */
export function ssha(password: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(password).update(salt).digest(), salt]).toString('base64')}`;
}

/**
 * A test-only schema that gives OpenLDAP the Active Directory attributes Portcullis reads
 * (sAMAccountName, userPrincipalName, userAccountControl, memberOf, objectCategory) with
 * matching rules, and AD's `user` and `group` classes, so that the Active Directory settings run
 * against a real server. Not Active Directory: memberOf is written, not computed.
 */
const AD_SCHEMA = `
attributetype ( 1.3.6.1.4.1.99999.15.1.1 NAME 'sAMAccountName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.15.1.2 NAME 'userPrincipalName' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.15.1.3 NAME 'userAccountControl' EQUALITY integerMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.27 SINGLE-VALUE )
attributetype ( 1.3.6.1.4.1.99999.15.1.4 NAME 'memberOf' EQUALITY distinguishedNameMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.12 )
attributetype ( 1.3.6.1.4.1.99999.15.1.5 NAME 'objectCategory' EQUALITY caseIgnoreMatch SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )
objectclass ( 1.3.6.1.4.1.99999.15.2.1 NAME 'user' SUP inetOrgPerson STRUCTURAL MAY ( sAMAccountName $ userPrincipalName $ userAccountControl $ memberOf $ objectCategory ) )
objectclass ( 1.3.6.1.4.1.99999.15.2.2 NAME 'group' SUP top STRUCTURAL MUST cn MAY ( member $ description $ objectCategory ) )
`;

export interface SlapdOptions {
  /** `openldap`: inetOrgPerson users, groupOfNames groups, the memberof overlay. `active-directory`: AD_SCHEMA above. */
  flavor?: 'openldap' | 'active-directory';
  /** Entries added after the base tree (LDIF). */
  ldif?: string;
  /** Also listen on ldaps://, with a server certificate from a throwaway CA. */
  tls?: boolean;
}

export interface Slapd {
  /** ldap://127.0.0.1:PORT */
  url: string;
  /** ldaps://localhost:PORT (the certificate names localhost and 127.0.0.1), with `tls`. */
  ldapsUrl: string;
  /** The throwaway CA that signed the server certificate (PEM file), with `tls`. */
  caFile: string;
  /** A CA that signed nothing here: trusting only it, the server's certificate must be refused. */
  otherCaFile: string;
  dir: string;
  /** Where the log is now; `logSince(mark)` is what slapd logged after it. */
  mark(): number;
  logSince(mark: number): string;
  /** The DNs of every BIND slapd logged after `mark`. */
  bindsSince(mark: number): string[];
  /** Adds entries as the root DN. */
  add(ldif: string): void;
  /** Applies an LDIF of changes (changetype: modify …) as the root DN. */
  modify(ldif: string): void;
  /** SIGTERM and wait: the directory is gone (connections refused). */
  stop(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  start(): Promise<void>;
  /** SIGSTOP: the directory accepts connections but never answers (slow). */
  freeze(): void;
  thaw(): void;
  close(): Promise<void>;
}

function openssl(dir: string, args: string[]): void {
  const result = spawnSyncBounded(OPENSSL, args, { cwd: dir, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}

/** A CA and a server certificate for localhost and 127.0.0.1 signed by it, and a second, unrelated CA. */
function makeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=Portcullis test CA']);
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'other-ca.key', '-out', 'other-ca.crt', '-days', '2', '-subj', '/CN=Another test CA']);
  openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n',
  );
  openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext']);
}

function baseTree(flavor: 'openldap' | 'active-directory'): string {
  return `dn: ${SUFFIX}
objectClass: dcObject
objectClass: organization
o: Example
dc: example

dn: ${PEOPLE}
objectClass: organizationalUnit
ou: people

dn: ${GROUPS}
objectClass: organizationalUnit
ou: groups

dn: ou=services,${SUFFIX}
objectClass: organizationalUnit
ou: services

dn: ${SERVICE_DN}
objectClass: ${flavor === 'active-directory' ? 'user' : 'inetOrgPerson'}
cn: portcullis
sn: service
userPassword: ${ssha(SERVICE_PASSWORD)}
`;
}

/**
 * Starts a real OpenLDAP server (Debian's slapd) for one test file: a free port on 127.0.0.1, a
 * throwaway database and configuration in a temporary directory, run as the current user, the base
 * tree and the service account seeded (`add` adds more). Logs at level `stats`, so that tests can
 * read what the server itself saw (its searches and binds).
 */
export async function startSlapd(options: SlapdOptions = {}): Promise<Slapd> {
  const flavor = options.flavor ?? 'openldap';
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-slapd-'));
  mkdirSync(join(dir, 'db'));
  const [port, tlsPort] = [await freePort(), await freePort()];
  if (options.tls) makeCertificates(dir);
  writeFileSync(join(dir, 'ad.schema'), AD_SCHEMA);
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis'].map((name) => `include ${SCHEMA_DIR}/${name}.schema`);
  if (flavor === 'active-directory') schemas.push(`include ${join(dir, 'ad.schema')}`);
  writeFileSync(
    join(dir, 'slapd.conf'),
    [
      ...schemas,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      ...(flavor === 'openldap' ? ['moduleload memberof'] : []),
      `pidfile ${join(dir, 'slapd.pid')}`,
      `argsfile ${join(dir, 'slapd.args')}`,
      ...(options.tls
        ? [`TLSCACertificateFile ${join(dir, 'ca.crt')}`, `TLSCertificateFile ${join(dir, 'server.crt')}`, `TLSCertificateKeyFile ${join(dir, 'server.key')}`]
        : []),
      'database mdb',
      'maxsize 104857600',
      `suffix "${SUFFIX}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ROOT_PASSWORD}`,
      `directory ${join(dir, 'db')}`,
      ...(flavor === 'openldap' ? ['overlay memberof'] : []),
      // Passwords can only be checked (bind); the service account reads everything else; users read themselves.
      'access to attrs=userPassword by anonymous auth by * none',
      `access to * by dn.exact="${SERVICE_DN}" read by self read by * none`,
      '',
    ].join('\n'),
  );
  const listen = [`ldap://127.0.0.1:${port}/`, ...(options.tls ? [`ldaps://127.0.0.1:${tlsPort}/`] : [])].join(' ');
  const url = `ldap://127.0.0.1:${port}`;

  let log = '';
  let process_: WatchedProcess | undefined;
  const launch = async () => {
    const child = spawn(SLAPD, ['-h', listen, '-f', join(dir, 'slapd.conf'), '-d', 'stats'], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const watched = new WatchedProcess(child, `slapd on port ${port}`, 20_000);
    await watched.until('accepting connections', async (signal) => {
      while (!signal.aborted) {
        if (await accepts(port)) return;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    });
    process_ = watched;
  };
  const ldap = (tool: string, ldif: string, extra: string[] = []) => {
    const result = spawnSyncBounded(tool, ['-x', '-H', url, '-D', ROOT_DN, '-w', ROOT_PASSWORD, ...extra], { input: ldif, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${tool} failed: ${result.stderr}`);
  };

  await launch();
  try {
    ldap(LDAPADD, baseTree(flavor));
    if (options.ldif) ldap(LDAPADD, options.ldif);
  } catch (error) {
    await process_?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    ldapsUrl: `ldaps://localhost:${tlsPort}`,
    caFile: join(dir, 'ca.crt'),
    otherCaFile: join(dir, 'other-ca.crt'),
    dir,
    mark: () => log.length,
    logSince: (mark) => log.slice(mark),
    bindsSince: (mark) => [...log.slice(mark).matchAll(/ BIND dn="([^"]*)" method=128/g)].map((match) => match[1]!),
    add: (ldif) => ldap(LDAPADD, ldif),
    modify: (ldif) => ldap(LDAPADD.replace('ldapadd', 'ldapmodify'), ldif),
    async stop() {
      if (process_?.running) process_.child.kill('SIGCONT');
      await process_?.stop();
    },
    start: launch,
    freeze: () => process_?.child.kill('SIGSTOP'),
    thaw: () => process_?.child.kill('SIGCONT'),
    async close() {
      if (process_?.running) process_.child.kill('SIGCONT');
      await process_?.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** An inetOrgPerson user with a hashed password. */
export function person(uid: string, password: string, extra: Record<string, string | string[]> = {}): string {
  const lines = [`dn: uid=${uid},${PEOPLE}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, `sn: ${uid}`, `userPassword: ${ssha(password)}`];
  for (const [key, value] of Object.entries(extra)) for (const item of Array.isArray(value) ? value : [value]) lines.push(`${key}: ${item}`);
  return `${lines.join('\n')}\n`;
}

/** A groupOfNames (`member`) or groupOfUniqueNames (`uniqueMember`) group of these user DNs. */
export function group(cn: string, members: string[], kind: 'groupOfNames' | 'groupOfUniqueNames' = 'groupOfNames'): string {
  const attribute = kind === 'groupOfNames' ? 'member' : 'uniqueMember';
  return `${[`dn: cn=${cn},${GROUPS}`, `objectClass: ${kind}`, `cn: ${cn}`, ...members.map((member) => `${attribute}: ${member}`)].join('\n')}\n`;
}

export const userDn = (uid: string) => `uid=${uid},${PEOPLE}`;

/**
 * The environment that points a Portcullis at this directory (docs/directory.md, "Settings"): the
 * service account, people and groups of the test tree, groups by search, `employeeType: disabled`
 * for a disabled user, and `staff` and `portcullis-admins` mapped. `overrides` adds or replaces.
 */
export function directoryEnv(slapd: Slapd, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    PORTCULLIS_DIRECTORY_URLS: slapd.url,
    PORTCULLIS_DIRECTORY_BIND_DN: SERVICE_DN,
    PORTCULLIS_DIRECTORY_BIND_PASSWORD: SERVICE_PASSWORD,
    PORTCULLIS_DIRECTORY_USER_BASE: PEOPLE,
    PORTCULLIS_DIRECTORY_GROUP_BASE: GROUPS,
    PORTCULLIS_DIRECTORY_DISABLED_FILTER: '(employeeType=disabled)',
    PORTCULLIS_DIRECTORY_GROUP_MAP: JSON.stringify({ staff: 'staff', [`cn=portcullis-admins,${GROUPS}`]: 'Administrators' }),
    PORTCULLIS_DIRECTORY_TIMEOUT_MS: '1500',
    ...overrides,
  };
}
