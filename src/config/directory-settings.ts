import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { FilterParser } from 'ldapts';
import { ConfigError } from '../core/errors.ts';
import { type DirectoryConfig, type DirectoryType, type GroupLookup, type SecretSource, TYPE_DEFAULTS } from '../directory/directory-config.ts';
import { parseDn } from '../directory/group-map.ts';
import { boolean, integer, list, type RawValue, text } from './values.ts';

/** The directory's settings in config.ts's table (docs/directory.md, "Settings"). */
type DirectorySetting =
  | 'directoryUrls'
  | 'directoryType'
  | 'directoryStartTls'
  | 'directoryCaFile'
  | 'directoryAllowPlainLdap'
  | 'directoryBindDn'
  | 'directoryBindPasswordFile'
  | 'directoryUserBase'
  | 'directoryUserFilter'
  | 'directoryUsernameAttribute'
  | 'directoryDisabledFilter'
  | 'directoryGroups'
  | 'directoryMemberOfAttribute'
  | 'directoryGroupBase'
  | 'directoryGroupFilter'
  | 'directoryGroupMap'
  | 'directoryTimeoutMs'
  | 'directoryPoolSize'
  | 'directoryGroupsMaxAge'
  | 'directoryRequiredForReadiness';

type Reader = <T>(name: DirectorySetting, fallback: T, convert: (label: string, raw: RawValue) => T) => T;

/** The environment variable of the service account's password: never a config file key. */
const BIND_PASSWORD_ENV = 'PORTCULLIS_DIRECTORY_BIND_PASSWORD';

function oneOf<T extends string>(choices: readonly T[]): (label: string, raw: RawValue) => T {
  return (label, raw) => {
    const choice = text(label, raw);
    if (!(choices as readonly string[]).includes(choice)) throw new ConfigError(`${label} must be one of ${choices.join(', ')}`);
    return choice as T;
  };
}

function filter(label: string, raw: RawValue): string {
  const value = text(label, raw).trim();
  try {
    FilterParser.parseString(value);
  } catch (error) {
    throw new ConfigError(`${label} is not an LDAP filter (RFC 4515): ${(error as Error).message}`);
  }
  return value;
}

function dn(label: string, raw: RawValue): string {
  const value = text(label, raw).trim();
  try {
    if (parseDn(value).length === 0) throw new Error('empty');
  } catch {
    throw new ConfigError(`${label} is not a distinguished name`);
  }
  return value;
}

function attribute(label: string, raw: RawValue): string {
  const value = text(label, raw).trim();
  if (!/^(?:[A-Za-z][A-Za-z0-9-]*|\d+(?:\.\d+)+)$/.test(value)) throw new ConfigError(`${label} is not an attribute name`);
  return value;
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

function urls(label: string, raw: RawValue): string[] {
  const entries = list(label, raw);
  for (const entry of entries) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      throw new ConfigError(`${label}: "${entry}" is not an ldap:// or ldaps:// URL`);
    }
    if (!['ldap:', 'ldaps:'].includes(url.protocol) || url.username || url.password || url.search || url.hash || !['', '/'].includes(url.pathname)) {
      throw new ConfigError(`${label}: "${entry}" is not an ldap:// or ldaps:// URL (scheme, host and port only)`);
    }
  }
  return entries;
}

/** `{"directory group": "portcullis group" | ["group", …]}`: a YAML mapping, or JSON in the environment. */
function groupMap(label: string, raw: RawValue): Record<string, string[]> {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigError(`${label} must be a JSON object of directory group → Portcullis group(s)`);
    }
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`${label} must map directory groups to Portcullis groups`);
  const map: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(value as Record<string, unknown>)) {
    if (key.includes('=')) dn(`${label}: "${key}"`, key);
    const groups = Array.isArray(target) ? target : [target];
    for (const group of groups) {
      if (typeof group !== 'string' || !/^[A-Za-z0-9_.@-][A-Za-z0-9_.@ -]{0,99}$/.test(group)) {
        throw new ConfigError(`${label}: "${key}" must map to Portcullis group names (letters, digits, spaces and _ . @ -)`);
      }
    }
    map[key] = groups as string[];
  }
  return map;
}

function bindPassword(read: Reader, env: NodeJS.ProcessEnv): { password: string | undefined; source: SecretSource } {
  const file = read<string | undefined>('directoryBindPasswordFile', undefined, text);
  const fromEnv = env[BIND_PASSWORD_ENV];
  if (file !== undefined && fromEnv !== undefined && fromEnv !== '') {
    throw new ConfigError(`${BIND_PASSWORD_ENV} and directory.bind_password_file are both set; keep one`);
  }
  if (fromEnv !== undefined && fromEnv !== '') return { password: fromEnv, source: 'environment' };
  if (file === undefined) return { password: undefined, source: 'none' };
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch {
    throw new ConfigError(`directory.bind_password_file: ${file} cannot be read`);
  }
  const password = content.replace(/\r?\n$/, '');
  if (password === '') throw new ConfigError(`directory.bind_password_file: ${file} is empty`);
  return { password, source: 'file' };
}

/**
 * The user directory's settings, or `undefined` when `directory.urls` is not set. Every mistake
 * stops start-up with one line naming the setting; the bind password is never in the message.
 */
export function loadDirectory(read: Reader, env: NodeJS.ProcessEnv): DirectoryConfig | undefined {
  const urlList = read('directoryUrls', [] as string[], urls);
  const userBase = read<string | undefined>('directoryUserBase', undefined, dn);
  if (urlList.length === 0) {
    if (userBase !== undefined) throw new ConfigError('directory.user_base needs directory.urls');
    return undefined;
  }
  if (userBase === undefined) throw new ConfigError('directory.urls needs directory.user_base (where the users are)');
  const type = read<DirectoryType>('directoryType', 'ldap', oneOf(['ldap', 'active_directory'] as const));
  const defaults = TYPE_DEFAULTS[type];
  const startTls = read('directoryStartTls', false, boolean);
  const allowPlainLdap = read('directoryAllowPlainLdap', false, boolean);
  for (const entry of urlList) {
    const url = new URL(entry);
    if (startTls && url.protocol === 'ldaps:') throw new ConfigError(`directory.start_tls applies to ldap:// URLs; ${entry} is already TLS`);
    if (url.protocol === 'ldap:' && !startTls && !allowPlainLdap && !isLoopback(url.hostname)) {
      throw new ConfigError(
        `directory.urls: ${entry} would send passwords unencrypted; use ldaps://, set directory.start_tls, or (only on a trusted network) directory.allow_plain_ldap`,
      );
    }
  }
  const caFile = read<string | undefined>('directoryCaFile', undefined, text);
  if (caFile !== undefined && !existsSync(caFile)) throw new ConfigError(`directory.ca_file: file ${caFile} does not exist`);
  const bindDn = read<string | undefined>('directoryBindDn', undefined, dn);
  const secret = bindPassword(read, env);
  if (bindDn !== undefined && secret.password === undefined) {
    throw new ConfigError(`directory.bind_dn needs its password: set ${BIND_PASSWORD_ENV} or directory.bind_password_file`);
  }
  if (bindDn === undefined && secret.password !== undefined) throw new ConfigError(`a directory bind password is set without directory.bind_dn`);
  const groups = read<GroupLookup>('directoryGroups', defaults.groups, oneOf(['member_of', 'search'] as const));
  const groupBase = read<string | undefined>('directoryGroupBase', undefined, dn);
  if (groups === 'search' && groupBase === undefined) throw new ConfigError('directory.groups: search needs directory.group_base (where the groups are)');
  return {
    type,
    urls: urlList,
    startTls,
    caFile,
    allowPlainLdap,
    bindDn,
    bindPassword: secret.password,
    bindPasswordSource: secret.source,
    userBase,
    userFilter: read('directoryUserFilter', defaults.userFilter, filter),
    usernameAttribute: read('directoryUsernameAttribute', defaults.usernameAttribute, attribute),
    disabledFilter: read<string | undefined>('directoryDisabledFilter', undefined, filter),
    groups,
    memberOfAttribute: read('directoryMemberOfAttribute', 'memberOf', attribute),
    groupBase,
    groupFilter: read('directoryGroupFilter', defaults.groupFilter, filter),
    groupMap: read('directoryGroupMap', {}, groupMap),
    timeoutMs: read('directoryTimeoutMs', 5_000, (label, raw) => integer(label, raw, 100, 120_000)),
    poolSize: read('directoryPoolSize', 10, (label, raw) => integer(label, raw, 1, 1_000)),
    groupsMaxAge: read('directoryGroupsMaxAge', 300, (label, raw) => integer(label, raw, 0, 86_400)),
    requiredForReadiness: read('directoryRequiredForReadiness', false, boolean),
  };
}
