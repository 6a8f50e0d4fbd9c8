/**
 * Every process setting: its YAML key, its environment variable, its default and what it does.
 * config.ts reads them; scripts/settings-reference.ts writes docs/settings.md from this table, so
 * the reference cannot drift from the code (test/docs/settings-reference.test.ts). Flags of
 * `serve` use the camelCase name in kebab-case (`--trusted-proxies`) where `flag` says so.
 */
export interface SettingEntry {
  yaml: string;
  env: string;
  /** The default as the reference shows it; `—` when unset. */
  default: string;
  /** One line: what it does, its range, where it is explained. */
  doc: string;
  /** The reference's section. */
  group: 'server' | 'database' | 'passwords' | 'throttling' | 'resource server' | 'directory';
  /** `serve`'s flag for it, when there is one. */
  flag?: string;
}

export const SETTINGS = {
  port: { yaml: 'port', env: 'PORTCULLIS_PORT', flag: '--port', group: 'server', default: '`5555`', doc: 'TCP port to listen on, 0–65535 (0: any free port)' },
  host: { yaml: 'host', env: 'PORTCULLIS_HOST', flag: '--host', group: 'server', default: '`127.0.0.1`', doc: 'address to listen on; `0.0.0.0` or `::` for every interface (then set `issuer`)' },
  issuer: { yaml: 'issuer', env: 'PORTCULLIS_ISSUER', flag: '--issuer', group: 'server', default: '`http://HOST:PORT` (`https://` with TLS)', doc: 'the RFC 8414 issuer in the metadata and in introspection answers: the URL clients use. Give every instance behind a load balancer the same one' },
  logLevel: { yaml: 'log_level', env: 'PORTCULLIS_LOG_LEVEL', flag: '--log-level', group: 'server', default: '`info`', doc: '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`' },
  trustedProxies: { yaml: 'trusted_proxies', env: 'PORTCULLIS_TRUSTED_PROXIES', flag: '--trusted-proxies', group: 'server', default: 'none', doc: 'reverse proxies whose `X-Forwarded-For`/`-Proto` are believed: IPs, CIDR ranges, `loopback`, `linklocal`, `uniquelocal` ([security.md](security.md#client-address-and-trusted-proxies))' },
  tlsCert: { yaml: 'tls_cert', env: 'PORTCULLIS_TLS_CERT', flag: '--tls-cert', group: 'server', default: '— (plain HTTP)', doc: 'PEM certificate file: serve HTTPS directly; needs `tls_key`' },
  tlsKey: { yaml: 'tls_key', env: 'PORTCULLIS_TLS_KEY', flag: '--tls-key', group: 'server', default: '—', doc: 'PEM private key file; needs `tls_cert`' },
  workers: { yaml: 'workers', env: 'PORTCULLIS_WORKERS', flag: '--workers', group: 'server', default: '`1`', doc: 'processes serving the one port, 1–1024, or `auto` (one per core); above 1 a primary process supervises them ([deployment.md](deployment.md#sizing-by-cores))' },
  settingsMaxAge: { yaml: 'settings_max_age', env: 'PORTCULLIS_SETTINGS_MAX_AGE', group: 'server', default: '`5`', doc: 'seconds a change made elsewhere (OAuth settings, services, ACLs, group memberships) may take to reach a running instance, 0–3600' },
  refreshReuseLeeway: { yaml: 'refresh_reuse_leeway', env: 'PORTCULLIS_REFRESH_REUSE_LEEWAY', group: 'server', default: '`0`', doc: 'seconds the previous refresh token stays acceptable after a rotation, 0–300 (0: strict; [security.md](security.md#refresh-token-reuse))' },
  httpHeadersTimeoutMs: { yaml: 'http.headers_timeout_ms', env: 'PORTCULLIS_HTTP_HEADERS_TIMEOUT_MS', group: 'server', default: '`10000`', doc: 'milliseconds within which a request\'s headers must have arrived (slowloris), 50–3600000; at most `http.request_timeout_ms` ([security.md](security.md#timeouts-and-connections))' },
  httpRequestTimeoutMs: { yaml: 'http.request_timeout_ms', env: 'PORTCULLIS_HTTP_REQUEST_TIMEOUT_MS', group: 'server', default: '`30000`', doc: 'milliseconds within which the whole request, headers and body, must have arrived, 50–3600000' },
  httpKeepAliveTimeoutMs: { yaml: 'http.keep_alive_timeout_ms', env: 'PORTCULLIS_HTTP_KEEP_ALIVE_TIMEOUT_MS', group: 'server', default: '`10000`', doc: 'milliseconds an idle keep-alive connection stays open, 50–3600000' },
  httpMaxConnections: { yaml: 'http.max_connections', env: 'PORTCULLIS_HTTP_MAX_CONNECTIONS', group: 'server', default: '`10000`', doc: 'open connections at most, from everywhere; further ones are closed at once (0: no cap)' },
  httpMaxConnectionsPerAddress: { yaml: 'http.max_connections_per_address', env: 'PORTCULLIS_HTTP_MAX_CONNECTIONS_PER_ADDRESS', group: 'server', default: '`256`', doc: 'open connections at most from one peer address, trusted proxies exempt (0: no cap)' },
  metricsToken: { yaml: 'metrics_token', env: 'PORTCULLIS_METRICS_TOKEN', group: 'server', default: '— (open)', doc: 'when set, `GET /metrics` requires `Authorization: Bearer <metrics_token>`; at least 16 characters that can be sent as a bearer token (`A-Z a-z 0-9 - . _ ~ + /`, RFC 6750 §2.1) ([deployment.md](deployment.md#metrics))' },
  secretKeyFile: { yaml: 'secret_key_file', env: 'PORTCULLIS_SECRET_KEY_FILE', group: 'server', default: '`portcullis.key` beside the SQLite `db`', doc: 'a file holding the server key (unless `PORTCULLIS_SECRET_KEY` gives it); on SQLite the first start creates it, mode 0600 ([security.md](security.md#the-server-key))' },
  db: { yaml: 'db', env: 'PORTCULLIS_DB', flag: '--db', group: 'database', default: '`./data/portcullis.db`', doc: 'SQLite database file (its folder is created); used unless `database_url` is set' },
  databaseUrl: { yaml: 'database_url', env: 'PORTCULLIS_DATABASE_URL', flag: '--database-url', group: 'database', default: '— (SQLite)', doc: 'PostgreSQL URL (`postgres://`): every instance keeps its state there ([deployment.md](deployment.md))' },
  databasePoolMax: { yaml: 'database_pool_max', env: 'PORTCULLIS_DATABASE_POOL_MAX', group: 'database', default: '`10`', doc: 'PostgreSQL connections one instance may hold, 1–1000' },
  databaseStatementTimeout: { yaml: 'database_statement_timeout', env: 'PORTCULLIS_DATABASE_STATEMENT_TIMEOUT', group: 'database', default: '`10000`', doc: 'milliseconds one SQL statement may run before PostgreSQL cancels it, 100–3600000' },
  purgeInterval: { yaml: 'purge_interval', env: 'PORTCULLIS_PURGE_INTERVAL', group: 'database', default: '`60`', doc: 'seconds between background purges of expired and revoked tokens, 0–86400 (0: off; then run `portcullis token purge`)' },
  purgeBatchSize: { yaml: 'purge_batch_size', env: 'PORTCULLIS_PURGE_BATCH_SIZE', group: 'database', default: '`1000`', doc: 'tokens deleted per purge transaction, 1–100000' },
  auditMaxAgeDays: { yaml: 'audit.max_age_days', env: 'PORTCULLIS_AUDIT_MAX_AGE_DAYS', group: 'database', default: '`90`', doc: 'audit records older than this many days are deleted by the background purge, 0–36500 (0: kept; [security.md](security.md#audit-log))' },
  auditMaxRecords: { yaml: 'audit.max_records', env: 'PORTCULLIS_AUDIT_MAX_RECORDS', group: 'database', default: '`1000000`', doc: 'at most this many audit records are kept, the newest (0: no limit)' },
  redisUrl: { yaml: 'redis_url', env: 'PORTCULLIS_REDIS_URL', group: 'database', default: '— (counters in the database)', doc: '`redis://` or `rediss://` URL: brute-force counters in Redis ([security.md](security.md#brute-force-defence-throttling))' },
  redisKeyPrefix: { yaml: 'redis_key_prefix', env: 'PORTCULLIS_REDIS_KEY_PREFIX', group: 'database', default: '`portcullis`', doc: 'prefix of every Redis key: one per cluster sharing a Redis' },
  argon2MemoryCost: { yaml: 'argon2.memory_cost', env: 'PORTCULLIS_ARGON2_MEMORY_COST', group: 'passwords', default: '`19456`', doc: 'argon2id memory in KiB for new password hashes; at least 19456 (19 MiB)' },
  argon2TimeCost: { yaml: 'argon2.time_cost', env: 'PORTCULLIS_ARGON2_TIME_COST', group: 'passwords', default: '`2`', doc: 'argon2id iterations; at least 2' },
  argon2Parallelism: { yaml: 'argon2.parallelism', env: 'PORTCULLIS_ARGON2_PARALLELISM', group: 'passwords', default: '`1`', doc: 'argon2id lanes; at least 1' },
  throttleEnabled: { yaml: 'throttle.enabled', env: 'PORTCULLIS_THROTTLE_ENABLED', group: 'throttling', default: '`true`', doc: 'brute-force defence on password and client-secret checks ([security.md](security.md#brute-force-defence-throttling)); switch off only explicitly' },
  throttleUserIpFailures: { yaml: 'throttle.user_ip.failures', env: 'PORTCULLIS_THROTTLE_USER_IP_FAILURES', group: 'throttling', default: '`10`', doc: 'failures of one username from one address before a block' },
  throttleUserIpWindow: { yaml: 'throttle.user_ip.window', env: 'PORTCULLIS_THROTTLE_USER_IP_WINDOW', group: 'throttling', default: '`900`', doc: 'seconds those failures are counted over' },
  throttleUserIpBlock: { yaml: 'throttle.user_ip.block', env: 'PORTCULLIS_THROTTLE_USER_IP_BLOCK', group: 'throttling', default: '`300`', doc: 'seconds the block lasts' },
  throttleIpFailures: { yaml: 'throttle.ip.failures', env: 'PORTCULLIS_THROTTLE_IP_FAILURES', group: 'throttling', default: '`100`', doc: 'failures from one address, any username, before the address is blocked' },
  throttleIpWindow: { yaml: 'throttle.ip.window', env: 'PORTCULLIS_THROTTLE_IP_WINDOW', group: 'throttling', default: '`900`', doc: 'seconds those failures are counted over' },
  throttleIpBlock: { yaml: 'throttle.ip.block', env: 'PORTCULLIS_THROTTLE_IP_BLOCK', group: 'throttling', default: '`900`', doc: 'seconds the block lasts' },
  throttleUserFreeFailures: { yaml: 'throttle.user.free_failures', env: 'PORTCULLIS_THROTTLE_USER_FREE_FAILURES', group: 'throttling', default: '`10`', doc: 'failures of one username, any address, before each attempt is slowed down (never blocked)' },
  throttleUserWindow: { yaml: 'throttle.user.window', env: 'PORTCULLIS_THROTTLE_USER_WINDOW', group: 'throttling', default: '`3600`', doc: 'seconds those failures are counted over' },
  throttleUserBaseDelayMs: { yaml: 'throttle.user.base_delay_ms', env: 'PORTCULLIS_THROTTLE_USER_BASE_DELAY_MS', group: 'throttling', default: '`250`', doc: 'the first delay in milliseconds, doubling per further failure' },
  throttleUserMaxDelayMs: { yaml: 'throttle.user.max_delay_ms', env: 'PORTCULLIS_THROTTLE_USER_MAX_DELAY_MS', group: 'throttling', default: '`5000`', doc: 'the longest delay in milliseconds' },
  throttleUserFailures: { yaml: 'throttle.user.failures', env: 'PORTCULLIS_THROTTLE_USER_FAILURES', group: 'throttling', default: '`30`', doc: 'failures of one username, any address, per `throttle.user.window` before it is refused (`429`) until the window ends, 1–1000000 ([security.md](security.md#brute-force-defence-throttling))' },
  throttleUserInFlight: { yaml: 'throttle.user.in_flight', env: 'PORTCULLIS_THROTTLE_USER_IN_FLIGHT', group: 'throttling', default: '`4`', doc: 'attempts of one username in flight at once once failures and running attempts pass `throttle.user.free_failures`, 1–10000' },
  throttleUserGoodAddressDays: { yaml: 'throttle.user.good_address_days', env: 'PORTCULLIS_THROTTLE_USER_GOOD_ADDRESS_DAYS', group: 'throttling', default: '`14`', doc: 'days an address where the user logged in stays exempt from the per-username limits, 1–24' },
  throttleIpv6Prefix: { yaml: 'throttle.ipv6_prefix', env: 'PORTCULLIS_THROTTLE_IPV6_PREFIX', group: 'throttling', default: '`64`', doc: 'IPv6 addresses are counted by their network of this many bits, 32–128 (128: each address alone)' },
  throttleClientIpFailures: { yaml: 'throttle.client_ip.failures', env: 'PORTCULLIS_THROTTLE_CLIENT_IP_FAILURES', group: 'throttling', default: '`10`', doc: 'wrong client secrets for one client from one address before a block' },
  throttleClientIpWindow: { yaml: 'throttle.client_ip.window', env: 'PORTCULLIS_THROTTLE_CLIENT_IP_WINDOW', group: 'throttling', default: '`900`', doc: 'seconds those failures are counted over' },
  throttleClientIpBlock: { yaml: 'throttle.client_ip.block', env: 'PORTCULLIS_THROTTLE_CLIENT_IP_BLOCK', group: 'throttling', default: '`300`', doc: 'seconds the block lasts' },
  introspectionUrl: { yaml: 'resource_server.introspection_url', env: 'PORTCULLIS_INTROSPECTION_URL', group: 'resource server', default: '— (tokens checked in the local database)', doc: 'the authorization server\'s RFC 7662 introspection endpoint; when set, this instance is a resource server only: no `/oauth`, no `/admin`, no administrator ([resource-server.md](resource-server.md))' },
  introspectionClientId: { yaml: 'resource_server.client_id', env: 'PORTCULLIS_INTROSPECTION_CLIENT_ID', group: 'resource server', default: '—', doc: 'the client it introspects as (a confidential client with `--introspect`)' },
  introspectionClientSecret: { yaml: 'resource_server.client_secret', env: 'PORTCULLIS_INTROSPECTION_CLIENT_SECRET', group: 'resource server', default: '—', doc: 'that client\'s secret' },
  introspectionJwksUrl: { yaml: 'resource_server.jwks_url', env: 'PORTCULLIS_INTROSPECTION_JWKS_URL', group: 'resource server', default: 'the introspection URL\'s origin + `/oauth/jwks`', doc: 'with `introspection_url`: the authorization server\'s JWKS; JWT access tokens (RFC 9068) are verified offline against it, not introspected (except for services with `introspect_always`)' },
  introspectionIssuer: { yaml: 'resource_server.issuer', env: 'PORTCULLIS_INTROSPECTION_ISSUER', group: 'resource server', default: 'the introspection URL\'s origin', doc: 'with `introspection_url`: the `iss` JWT access tokens must carry (the authorization server\'s `issuer`)' },
  introspectionAudience: { yaml: 'resource_server.audience', env: 'PORTCULLIS_INTROSPECTION_AUDIENCE', group: 'resource server', default: 'the expected issuer', doc: 'with `introspection_url`: the `aud` JWT access tokens must carry; the authorization server\'s `default_audience` if it sets one' },
  introspectionCacheMaxAge: { yaml: 'resource_server.cache_max_age', env: 'PORTCULLIS_INTROSPECTION_CACHE_MAX_AGE', group: 'resource server', default: '`30`', doc: 'seconds an introspection answer is reused, 0–3600: the longest a revoked token still passes' },
  upstreamTimeoutMs: { yaml: 'resource_server.upstream_timeout_ms', env: 'PORTCULLIS_UPSTREAM_TIMEOUT_MS', group: 'resource server', default: '`30000`', doc: 'milliseconds to wait for an upstream\'s response headers before `504`; a service\'s own `timeout_ms` wins' },
  maxConcurrentPerService: { yaml: 'resource_server.max_concurrent_per_service', env: 'PORTCULLIS_MAX_CONCURRENT_PER_SERVICE', group: 'resource server', default: '`100`', doc: 'calls in flight at once to one service through this instance, 1–100000, then `503`; a service\'s own `max_concurrent` wins ([resource-server.md](resource-server.md#limits-per-service))' },
  // The user directory (docs/directory.md). Its bind password is read from the environment or a file only.
  directoryUrls: { yaml: 'directory.urls', env: 'PORTCULLIS_DIRECTORY_URLS', group: 'directory', default: '— (no directory)', doc: '`ldap://` or `ldaps://` URLs, comma-separated in the environment; later ones for failover ([directory.md](directory.md#settings))' },
  directoryType: { yaml: 'directory.type', env: 'PORTCULLIS_DIRECTORY_TYPE', group: 'directory', default: '`ldap`', doc: '`ldap` or `active_directory`: sets the defaults below' },
  directoryStartTls: { yaml: 'directory.start_tls', env: 'PORTCULLIS_DIRECTORY_START_TLS', group: 'directory', default: '`false`', doc: 'upgrade `ldap://` connections with StartTLS' },
  directoryCaFile: { yaml: 'directory.ca_file', env: 'PORTCULLIS_DIRECTORY_CA_FILE', group: 'directory', default: 'Node\'s CA list', doc: 'PEM file of the certificates that may sign the directory\'s' },
  directoryAllowPlainLdap: { yaml: 'directory.allow_plain_ldap', env: 'PORTCULLIS_DIRECTORY_ALLOW_PLAIN_LDAP', group: 'directory', default: '`false`', doc: 'allow `ldap://` without StartTLS to a host that is not loopback' },
  directoryBindDn: { yaml: 'directory.bind_dn', env: 'PORTCULLIS_DIRECTORY_BIND_DN', group: 'directory', default: 'anonymous', doc: 'the service account that searches; its password only from `PORTCULLIS_DIRECTORY_BIND_PASSWORD` or the file below' },
  directoryBindPasswordFile: { yaml: 'directory.bind_password_file', env: 'PORTCULLIS_DIRECTORY_BIND_PASSWORD_FILE', group: 'directory', default: '—', doc: 'a file holding the service account\'s password' },
  directoryUserBase: { yaml: 'directory.user_base', env: 'PORTCULLIS_DIRECTORY_USER_BASE', group: 'directory', default: '— (required)', doc: 'where users are searched (whole subtree)' },
  directoryUserFilter: { yaml: 'directory.user_filter', env: 'PORTCULLIS_DIRECTORY_USER_FILTER', group: 'directory', default: '`(objectClass=inetOrgPerson)`; AD: `(&(objectCategory=person)(objectClass=user))`', doc: 'every user entry matches it' },
  directoryUsernameAttribute: { yaml: 'directory.username_attribute', env: 'PORTCULLIS_DIRECTORY_USERNAME_ATTRIBUTE', group: 'directory', default: '`uid`; AD: `sAMAccountName`', doc: 'the attribute the username is compared with' },
  directoryDisabledFilter: { yaml: 'directory.disabled_filter', env: 'PORTCULLIS_DIRECTORY_DISABLED_FILTER', group: 'directory', default: 'none', doc: 'an entry that matches it is disabled' },
  directoryGroups: { yaml: 'directory.groups', env: 'PORTCULLIS_DIRECTORY_GROUPS', group: 'directory', default: '`search`; AD: `member_of`', doc: 'where a user\'s groups come from: `member_of` or `search`' },
  directoryMemberOfAttribute: { yaml: 'directory.member_of_attribute', env: 'PORTCULLIS_DIRECTORY_MEMBER_OF_ATTRIBUTE', group: 'directory', default: '`memberOf`', doc: 'with `groups: member_of`' },
  directoryGroupBase: { yaml: 'directory.group_base', env: 'PORTCULLIS_DIRECTORY_GROUP_BASE', group: 'directory', default: '— (required for `search`)', doc: 'where groups are searched' },
  directoryGroupFilter: { yaml: 'directory.group_filter', env: 'PORTCULLIS_DIRECTORY_GROUP_FILTER', group: 'directory', default: '`(\\|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))`; AD: `(objectClass=group)`', doc: 'with `groups: search`' },
  directoryGroupMap: { yaml: 'directory.group_map', env: 'PORTCULLIS_DIRECTORY_GROUP_MAP', group: 'directory', default: 'none', doc: 'directory group → Portcullis group(s); JSON in the environment ([directory.md](directory.md#groups))' },
  directoryTimeoutMs: { yaml: 'directory.timeout_ms', env: 'PORTCULLIS_DIRECTORY_TIMEOUT_MS', group: 'directory', default: '`5000`', doc: 'the longest the directory part of one login may take, 100–120000 ms' },
  directoryPoolSize: { yaml: 'directory.pool_size', env: 'PORTCULLIS_DIRECTORY_POOL_SIZE', group: 'directory', default: '`10`', doc: 'connections per pool, per instance' },
  directoryGroupsMaxAge: { yaml: 'directory.groups_max_age', env: 'PORTCULLIS_DIRECTORY_GROUPS_MAX_AGE', group: 'directory', default: '`300`', doc: 'seconds a directory user\'s cached groups are used, 0–86400' },
  directoryRequiredForReadiness: { yaml: 'directory.required_for_readiness', env: 'PORTCULLIS_DIRECTORY_REQUIRED_FOR_READINESS', group: 'directory', default: '`false`', doc: '`/readyz` answers 503 while the directory does not answer' },
} as const satisfies Record<string, SettingEntry>;

/** Settings that are read from the environment only, never from a file or a flag. */
export const ENVIRONMENT_ONLY: { env: string; default: string; doc: string }[] = [
  { env: 'PORTCULLIS_CONFIG', default: '`./portcullis.yaml` if present', doc: 'the configuration file (also `--config`)' },
  { env: 'PORTCULLIS_SECRET_KEY', default: 'the key file (`secret_key_file`)', doc: 'the server key that encrypts signing keys and MFA secrets at rest: 32 bytes in base64 or hex (`openssl rand -base64 32`); refused in the config file. Required on PostgreSQL, the same on every instance ([security.md](security.md#the-server-key))' },
  { env: 'PORTCULLIS_ADMIN_PASSWORD', default: 'generated, printed once', doc: 'the password of the `Administrator` account created on the first start' },
  { env: 'PORTCULLIS_DIRECTORY_BIND_PASSWORD', default: '—', doc: 'the directory service account\'s password (refused in the config file)' },
];
