/** `ldap` (OpenLDAP and others) or `active_directory`: the defaults differ (docs/directory.md). */
export type DirectoryType = 'ldap' | 'active_directory';

/** Where a user's groups come from: the user's `memberOf` values, or a search of the groups. */
export type GroupLookup = 'member_of' | 'search';

/** Where the service account's password came from; the password itself is never shown. */
export type SecretSource = 'environment' | 'file' | 'none';

/** The user directory's settings (docs/directory.md, "Settings"), as loaded at start-up. */
export interface DirectoryConfig {
  type: DirectoryType;
  /** `ldap://` or `ldaps://` URLs, tried in order: later ones are for failover. */
  urls: string[];
  /** Upgrade `ldap://` connections with StartTLS. */
  startTls: boolean;
  /** A PEM file of the certificates to trust; `undefined` trusts Node's built-in list. */
  caFile: string | undefined;
  /** Send passwords over `ldap://` without StartTLS to a host that is not a loopback address. */
  allowPlainLdap: boolean;
  /** The service account ("Principal") that searches; `undefined` searches anonymously. */
  bindDn: string | undefined;
  /** Its password, from PORTCULLIS_DIRECTORY_BIND_PASSWORD or `bind_password_file`; never in the config file. */
  bindPassword: string | undefined;
  bindPasswordSource: SecretSource;
  userBase: string;
  /** An RFC 4515 filter every user entry matches; the username is ANDed to it, escaped. */
  userFilter: string;
  usernameAttribute: string;
  /** An RFC 4515 filter; a user entry that matches it is disabled. */
  disabledFilter: string | undefined;
  groups: GroupLookup;
  memberOfAttribute: string;
  groupBase: string | undefined;
  groupFilter: string;
  /** Directory group (DN, or common name) → Portcullis groups. */
  groupMap: Record<string, string[]>;
  /** The longest the directory part of one login may take, waiting for a pooled connection included. */
  timeoutMs: number;
  /** Connections per pool (one pool searches as the service account, one checks users' passwords). */
  poolSize: number;
  /** Seconds a directory user's cached groups are used before they are read again. */
  groupsMaxAge: number;
  /** Whether /readyz answers 503 while the directory does not answer. */
  requiredForReadiness: boolean;
}

/** The defaults that depend on the directory's type. */
export const TYPE_DEFAULTS: Record<DirectoryType, Pick<DirectoryConfig, 'userFilter' | 'usernameAttribute' | 'groups' | 'groupFilter'>> = {
  ldap: {
    userFilter: '(objectClass=inetOrgPerson)',
    usernameAttribute: 'uid',
    groups: 'search',
    groupFilter: '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))',
  },
  active_directory: {
    userFilter: '(&(objectCategory=person)(objectClass=user))',
    usernameAttribute: 'sAMAccountName',
    groups: 'member_of',
    groupFilter: '(objectClass=group)',
  },
};

/**
 * The effective settings as the admin API, the console and `directory test` show them: the bind
 * password only as where it came from, never its value.
 */
export function describeDirectoryConfig(config: DirectoryConfig): Record<string, unknown> {
  return {
    type: config.type,
    urls: config.urls,
    start_tls: config.startTls,
    ca_file: config.caFile ?? null,
    allow_plain_ldap: config.allowPlainLdap,
    bind_dn: config.bindDn ?? null,
    bind_password: config.bindPasswordSource === 'none' ? null : `******** (from the ${config.bindPasswordSource})`,
    user_base: config.userBase,
    user_filter: config.userFilter,
    username_attribute: config.usernameAttribute,
    disabled_filter: config.disabledFilter ?? null,
    groups: config.groups,
    member_of_attribute: config.memberOfAttribute,
    group_base: config.groupBase ?? null,
    group_filter: config.groupFilter,
    group_map: config.groupMap,
    timeout_ms: config.timeoutMs,
    pool_size: config.poolSize,
    groups_max_age: config.groupsMaxAge,
    required_for_readiness: config.requiredForReadiness,
  };
}
