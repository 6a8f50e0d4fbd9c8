import { existsSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { parse as parseYaml } from 'yaml';
import { isB64Token } from '../core/bearer-token.ts';
import { ConfigError } from '../core/errors.ts';
import type { DirectoryConfig } from '../directory/directory-config.ts';
import { loadDirectory } from './directory-settings.ts';
import { boolean, integer, list, type RawValue, text } from './values.ts';
import { SETTINGS } from './settings-table.ts';
import { type Argon2Params, MIN_ARGON2 } from '../core/password-hash.ts';
import { DEFAULT_THROTTLE, type ThrottleSettings } from '../authz/throttle.ts';

/** The process-level configuration: how this instance runs. OAuth settings live in the database. */
export interface Config {
  port: number;
  host: string;
  /** SQLite file, used unless `databaseUrl` is set. */
  db: string;
  databaseUrl: string | undefined;
  /**
   * Where the database setting came from: the flag (`--db`), the variable (`PORTCULLIS_DB`), the
   * file and key (`portcullis.yaml: db`), or the bare key when it is the default. The CLI names it.
   */
  databaseFrom?: string;
  /** RFC 8414 issuer; defaults to the listen address. */
  issuer: string;
  logLevel: string;
  trustedProxies: string[];
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  argon2: Argon2Params;
  /** Processes serving the port (docs/deployment.md "Sizing by cores"): 1 is one process, more a primary and that many workers. */
  workers: number;
  /** Seconds a changed global setting may take to reach a running instance. */
  settingsMaxAge: number;
  adminPassword: string | undefined;
  /** The server key itself (`PORTCULLIS_SECRET_KEY`, environment only), or the file that holds it (docs/security.md). */
  secretKey: string | undefined;
  secretKeyFile: string | undefined;
  /** PostgreSQL pool limits (used only with `databaseUrl`). */
  postgres: { maxConnections: number; statementTimeoutMillis: number };
  /** Background purge of expired and revoked tokens: every `intervalSeconds` (0 = off), `batchSize` tokens per transaction. */
  purge: { intervalSeconds: number; batchSize: number };
  /** Audit records kept at most this many days and this many records (`null`: no limit), pruned by the purge. */
  auditRetention: { maxAgeSeconds: number | null; maxRecords: number | null };
  /** Brute-force defence (docs/security.md). */
  throttle: ThrottleSettings;
  /** Throttling counters in Redis instead of the database; `undefined` when redis_url is unset. */
  redis?: { url: string; keyPrefix: string } | undefined;
  /** Seconds the immediately previous refresh token stays acceptable; 0 is strict (the default). */
  refreshReuseLeeway: number;
  resourceServer: ResourceServerConfig;
  /** Timeouts and connection caps of the HTTP server (docs/security.md "Timeouts and connections"). */
  http: HttpLimits;
  /** When set, `GET /metrics` requires `Authorization: Bearer <it>` (docs/deployment.md). */
  metricsToken: string | undefined;
  /** `NODE_ENV=development`: the console's source map is served (docs/admin.md). Production is anything else. */
  development: boolean;
  /** The LDAP or Active Directory server users may also come from (docs/directory.md); `undefined` when none. */
  directory: DirectoryConfig | undefined;
}

/** The HTTP server's limits against slow and numerous connections (docs/security.md "Timeouts and connections"). */
export interface HttpLimits {
  /** The request headers must have arrived within this many milliseconds (slowloris). */
  headersTimeoutMs: number;
  /** The whole request, headers and body, within this many milliseconds (slow bodies). */
  requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this many milliseconds. */
  keepAliveTimeoutMs: number;
  /** Open connections at most, from everywhere; further ones are closed at once. 0 = no cap. */
  maxConnections: number;
  /** Open connections at most from one peer address (trusted proxies exempt). 0 = no cap. */
  maxConnectionsPerAddress: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 10_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 256,
};

/** How this instance verifies tokens and calls upstreams as a resource server. */
export interface ResourceServerConfig {
  /** Remote RFC 7662 verification; when absent, tokens are verified in the local store. */
  introspection: { url: string; clientId: string; clientSecret: string } | undefined;
  /**
   * With remote introspection: how JWT access tokens (RFC 9068) are verified offline instead, against
   * the authorization server's JWKS, its issuer and the audience this resource server answers to.
   */
  jwt?: { jwksUrl: string; issuer: string; audience: string } | undefined;
  /** Seconds an introspection answer is reused: the worst-case revocation delay. */
  cacheMaxAge: number;
  /** Milliseconds to wait for an upstream's response headers before answering 504 (a service may set its own). */
  upstreamTimeoutMs: number;
  /** Calls in flight at once to one service through this instance (a service may set its own); then 503. */
  maxConcurrentPerService: number;
}


/** Settings whose YAML value is a mapping taken whole, not more settings below it. */
const MAPPING_SETTINGS = new Set(['directory.group_map']);

export type SettingName = keyof typeof SETTINGS;

export const DEFAULT_CONFIG_FILE = 'portcullis.yaml';
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function readYaml(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError(`config file ${path} cannot be read`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) throw new ConfigError(`config file ${path} must be a mapping`);
  return document as Record<string, unknown>;
}

function flatten(document: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const flat = new Map<string, unknown>();
  for (const [key, value] of Object.entries(document)) {
    const path = prefix + key;
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !MAPPING_SETTINGS.has(path)) {
      for (const [inner, innerValue] of flatten(value as Record<string, unknown>, `${path}.`)) flat.set(inner, innerValue);
    } else {
      flat.set(path, value);
    }
  }
  return flat;
}

function checkProxy(name: string, entry: string): void {
  const [address, bits, extra] = entry.split('/');
  const family = isIP(address ?? '');
  const maxBits = family === 6 ? 128 : 32;
  const named = ['loopback', 'linklocal', 'uniquelocal'].includes(entry);
  if (named) return;
  if (family === 0 || extra !== undefined || (bits !== undefined && !(Number.isInteger(Number(bits)) && Number(bits) >= 0 && Number(bits) <= maxBits))) {
    throw new ConfigError(`${name}: "${entry}" is not an IP address, a CIDR range, or loopback/linklocal/uniquelocal`);
  }
}

/**
 * Builds the configuration once at start-up: flags over environment over the config file over
 * defaults. Any invalid value stops start-up with one `ConfigError` naming the setting.
 */
export function loadConfig(
  flags: Partial<Record<SettingName | 'config', string | number | boolean | string[] | undefined>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const explicitFile = flags.config ?? env.PORTCULLIS_CONFIG;
  const file = explicitFile !== undefined ? String(explicitFile) : existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
  const yaml = file ? flatten(readYaml(file)) : new Map<string, unknown>();
  const known = new Set<string>(Object.values(SETTINGS).map((setting) => setting.yaml));
  if (yaml.has('secret_key')) {
    throw new ConfigError(`${file}: secret_key cannot be written in the config file; set PORTCULLIS_SECRET_KEY or secret_key_file`);
  }
  if (yaml.has('directory.bind_password')) {
    throw new ConfigError(`${file}: directory.bind_password cannot be written in the config file; set PORTCULLIS_DIRECTORY_BIND_PASSWORD or directory.bind_password_file`);
  }
  for (const key of yaml.keys()) {
    if (!known.has(key)) throw new ConfigError(`${file}: unknown setting ${key}`);
  }

  const pick = (name: SettingName): [string, RawValue] => {
    const { yaml: yamlKey, env: envName } = SETTINGS[name];
    if (flags[name] !== undefined) return [`--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, flags[name]];
    if (env[envName] !== undefined && env[envName] !== '') return [envName, env[envName]];
    if (yaml.has(yamlKey)) return [`${file}: ${yamlKey}`, yaml.get(yamlKey) as RawValue];
    return [yamlKey, undefined];
  };
  const value = <T>(name: SettingName, fallback: T, convert: (label: string, raw: RawValue) => T): T => {
    const [label, raw] = pick(name);
    return raw === undefined ? fallback : convert(label, raw);
  };

  const port = value('port', 5555, (label, raw) => integer(label, raw, 0, 65535));
  const host = value('host', '127.0.0.1', text);
  const logLevel = value('logLevel', 'info', (label, raw) => {
    const level = text(label, raw);
    if (!LOG_LEVELS.includes(level)) throw new ConfigError(`${label} must be one of ${LOG_LEVELS.join(', ')}`);
    return level;
  });
  const databaseUrl = value<string | undefined>('databaseUrl', undefined, (label, raw) => {
    const url = text(label, raw);
    if (!/^postgres(ql)?:\/\//.test(url)) throw new ConfigError(`${label} must be a postgres:// URL`);
    return url;
  });
  const trustedProxies = value('trustedProxies', [] as string[], (label, raw) => {
    const entries = list(label, raw);
    for (const entry of entries) checkProxy(label, entry);
    return entries;
  });
  const tlsCert = value<string | undefined>('tlsCert', undefined, text);
  const tlsKey = value<string | undefined>('tlsKey', undefined, text);
  if ((tlsCert === undefined) !== (tlsKey === undefined)) {
    throw new ConfigError('tls_cert and tls_key must be set together');
  }
  for (const [label, path] of [['tls_cert', tlsCert], ['tls_key', tlsKey]] as const) {
    if (path !== undefined && !existsSync(path)) throw new ConfigError(`${label}: file ${path} does not exist`);
  }
  const issuer = value('issuer', `${tlsCert ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`, (label, raw) => {
    const url = text(label, raw);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new ConfigError(`${label} must be an absolute URL`);
    }
    // RFC 8414 §2: an https URL with no query or fragment (http is tolerated for development).
    if (!['https:', 'http:'].includes(parsed.protocol) || parsed.search || parsed.hash) {
      throw new ConfigError(`${label} must be an http(s) URL without query or fragment`);
    }
    return url.replace(/\/$/, '');
  });
  const argon2: Argon2Params = {
    memoryCost: value('argon2MemoryCost', MIN_ARGON2.memoryCost, (label, raw) => integer(label, raw, MIN_ARGON2.memoryCost, 4_194_304)),
    timeCost: value('argon2TimeCost', MIN_ARGON2.timeCost, (label, raw) => integer(label, raw, MIN_ARGON2.timeCost, 100)),
    parallelism: value('argon2Parallelism', MIN_ARGON2.parallelism, (label, raw) => integer(label, raw, MIN_ARGON2.parallelism, 64)),
  };
  const workers = value('workers', 1, (label, raw) => {
    if (raw === 'auto') return availableParallelism();
    if (typeof raw === 'number' || (typeof raw === 'string' && /^\s*\d+\s*$/.test(raw))) {
      const count = Number(raw);
      if (Number.isInteger(count) && count >= 1 && count <= 1024) return count;
    }
    throw new ConfigError(`${label} must be auto or an integer from 1 to 1024`);
  });
  const settingsMaxAge = value('settingsMaxAge', 5, (label, raw) => integer(label, raw, 0, 3600));
  const db = value('db', './data/portcullis.db', text);
  const refreshReuseLeeway = value('refreshReuseLeeway', 0, (label, raw) => integer(label, raw, 0, 300));
  const count = (name: SettingName, fallback: number, min: number, max: number) => value(name, fallback, (label, raw) => integer(label, raw, min, max));
  const day = 86_400;
  const defaults = DEFAULT_THROTTLE;
  const throttle: ThrottleSettings = {
    enabled: value('throttleEnabled', defaults.enabled, boolean),
    userIp: {
      failures: count('throttleUserIpFailures', defaults.userIp.failures, 1, 10_000),
      windowSeconds: count('throttleUserIpWindow', defaults.userIp.windowSeconds, 1, day),
      blockSeconds: count('throttleUserIpBlock', defaults.userIp.blockSeconds, 1, day),
    },
    ip: {
      failures: count('throttleIpFailures', defaults.ip.failures, 1, 1_000_000),
      windowSeconds: count('throttleIpWindow', defaults.ip.windowSeconds, 1, day),
      blockSeconds: count('throttleIpBlock', defaults.ip.blockSeconds, 1, day),
    },
    user: {
      freeFailures: count('throttleUserFreeFailures', defaults.user.freeFailures, 0, 1_000_000),
      windowSeconds: count('throttleUserWindow', defaults.user.windowSeconds, 1, day),
      baseDelayMs: count('throttleUserBaseDelayMs', defaults.user.baseDelayMs, 0, 60_000),
      maxDelayMs: count('throttleUserMaxDelayMs', defaults.user.maxDelayMs, 0, 60_000),
      failures: count('throttleUserFailures', defaults.user.failures, 1, 1_000_000),
      inFlight: count('throttleUserInFlight', defaults.user.inFlight, 1, 10_000),
      goodAddressDays: count('throttleUserGoodAddressDays', defaults.user.goodAddressDays, 1, 24),
    },
    clientIp: {
      failures: count('throttleClientIpFailures', defaults.clientIp.failures, 1, 1_000_000),
      windowSeconds: count('throttleClientIpWindow', defaults.clientIp.windowSeconds, 1, day),
      blockSeconds: count('throttleClientIpBlock', defaults.clientIp.blockSeconds, 1, day),
    },
    ipv6Prefix: count('throttleIpv6Prefix', defaults.ipv6Prefix, 32, 128),
    otp: defaults.otp,
  };
  const resourceServer = loadResourceServer(value);
  const http = loadHttpLimits(value);
  const metricsToken = value<string | undefined>('metricsToken', undefined, (label, raw) => {
    const token = text(label, raw);
    // The message names the setting, never the value.
    // It is sent as a bearer token, so it must be one (RFC 6750 §2.1).
    if (token.length < 16 || !isB64Token(token)) throw new ConfigError(`${label} must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / (then = at the end only)`);
    return token;
  });
  const directory = loadDirectory(value, env);
  const postgres = {
    maxConnections: value('databasePoolMax', 10, (label, raw) => integer(label, raw, 1, 1000)),
    statementTimeoutMillis: value('databaseStatementTimeout', 10_000, (label, raw) => integer(label, raw, 100, 3_600_000)),
  };
  const purge = {
    intervalSeconds: value('purgeInterval', 60, (label, raw) => integer(label, raw, 0, 86_400)),
    batchSize: value('purgeBatchSize', 1000, (label, raw) => integer(label, raw, 1, 100_000)),
  };
  // 0 switches a limit off.
  const auditMaxAgeDays = value('auditMaxAgeDays', 90, (label, raw) => integer(label, raw, 0, 36_500));
  const auditMaxRecords = value('auditMaxRecords', 1_000_000, (label, raw) => integer(label, raw, 0, 1_000_000_000));
  const auditRetention = {
    maxAgeSeconds: auditMaxAgeDays === 0 ? null : auditMaxAgeDays * 86_400,
    maxRecords: auditMaxRecords === 0 ? null : auditMaxRecords,
  };
  const redisUrl = value<string | undefined>('redisUrl', undefined, (label, raw) => {
    const url = text(label, raw);
    // The URL may hold a password: the message names the setting, never the value.
    if (!/^rediss?:\/\/[^\s]+$/.test(url) || !URL.canParse(url)) throw new ConfigError(`${label} must be a redis:// or rediss:// URL`);
    return url;
  });
  const redisKeyPrefix = value('redisKeyPrefix', 'portcullis', (label, raw) => {
    const prefix = text(label, raw);
    if (!/^[A-Za-z0-9:_.-]{1,100}$/.test(prefix)) throw new ConfigError(`${label} must be 1 to 100 letters, digits, or : _ . -`);
    return prefix;
  });

  return {
    port,
    host,
    db,
    databaseUrl,
    databaseFrom: pick(databaseUrl !== undefined ? 'databaseUrl' : 'db')[0],
    issuer,
    logLevel,
    trustedProxies,
    tlsCert,
    tlsKey,
    argon2,
    workers,
    settingsMaxAge,
    adminPassword: env.PORTCULLIS_ADMIN_PASSWORD,
    secretKey: env.PORTCULLIS_SECRET_KEY === '' ? undefined : env.PORTCULLIS_SECRET_KEY,
    secretKeyFile: value<string | undefined>('secretKeyFile', undefined, text),
    throttle,
    redis: redisUrl === undefined ? undefined : { url: redisUrl, keyPrefix: redisKeyPrefix },
    refreshReuseLeeway,
    resourceServer,
    http,
    metricsToken,
    development: env.NODE_ENV === 'development',
    directory,
    postgres,
    purge,
    auditRetention,
  };
}

export type ValueReader = <T>(name: SettingName, fallback: T, convert: (label: string, raw: RawValue) => T) => T;

function loadHttpLimits(value: ValueReader): HttpLimits {
  const defaults = DEFAULT_HTTP_LIMITS;
  const ms = (name: SettingName, fallback: number) => value(name, fallback, (label, raw) => integer(label, raw, 50, 3_600_000));
  const limits: HttpLimits = {
    headersTimeoutMs: ms('httpHeadersTimeoutMs', defaults.headersTimeoutMs),
    requestTimeoutMs: ms('httpRequestTimeoutMs', defaults.requestTimeoutMs),
    keepAliveTimeoutMs: ms('httpKeepAliveTimeoutMs', defaults.keepAliveTimeoutMs),
    maxConnections: value('httpMaxConnections', defaults.maxConnections, (label, raw) => integer(label, raw, 0, 1_000_000)),
    maxConnectionsPerAddress: value('httpMaxConnectionsPerAddress', defaults.maxConnectionsPerAddress, (label, raw) => integer(label, raw, 0, 1_000_000)),
  };
  // Node refuses a headers timeout longer than the request's: say so with the setting's name.
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) throw new ConfigError('http.headers_timeout_ms must not exceed http.request_timeout_ms');
  return limits;
}

/** An absolute http(s) URL, or a ConfigError naming the setting. */
function httpUrl(label: string, raw: RawValue): string {
  const url = text(label, raw);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`${label} must be an absolute http(s) URL`);
  }
  if (!['https:', 'http:'].includes(parsed.protocol)) throw new ConfigError(`${label} must be an absolute http(s) URL`);
  return url;
}

function loadResourceServer(value: ValueReader): ResourceServerConfig {
  const url = value<string | undefined>('introspectionUrl', undefined, httpUrl);
  const jwksUrl = value<string | undefined>('introspectionJwksUrl', undefined, httpUrl);
  const issuer = value<string | undefined>('introspectionIssuer', undefined, httpUrl);
  // An audience is any absolute URI (RFC 8707), like the authorization server's default_audience.
  const audience = value<string | undefined>('introspectionAudience', undefined, (label, raw) => {
    const audience = text(label, raw);
    if (!URL.canParse(audience) || audience.includes('#')) throw new ConfigError(`${label} must be an absolute URI without a fragment`);
    return audience;
  });
  const clientId = value<string | undefined>('introspectionClientId', undefined, text);
  const clientSecret = value<string | undefined>('introspectionClientSecret', undefined, text);
  if (url !== undefined && (clientId === undefined || clientSecret === undefined)) {
    throw new ConfigError('resource_server.introspection_url needs resource_server.client_id and resource_server.client_secret');
  }
  if (url === undefined && (clientId !== undefined || clientSecret !== undefined)) {
    throw new ConfigError('resource_server.client_id and client_secret need resource_server.introspection_url');
  }
  if (url === undefined && (jwksUrl !== undefined || issuer !== undefined || audience !== undefined)) {
    throw new ConfigError('resource_server.jwks_url, issuer and audience need resource_server.introspection_url');
  }
  // By default the authorization server is at the introspection URL's origin, publishes its keys at
  // /oauth/jwks, and mints JWTs for its own issuer as audience (its default_audience left empty).
  const origin = url !== undefined ? new URL(url).origin : undefined;
  const expectedIssuer = issuer ?? origin;
  return {
    introspection: url !== undefined ? { url, clientId: clientId!, clientSecret: clientSecret! } : undefined,
    jwt:
      origin !== undefined
        ? { jwksUrl: jwksUrl ?? `${origin}/oauth/jwks`, issuer: expectedIssuer!, audience: audience ?? expectedIssuer! }
        : undefined,
    cacheMaxAge: value('introspectionCacheMaxAge', 30, (label, raw) => integer(label, raw, 0, 3600)),
    upstreamTimeoutMs: value('upstreamTimeoutMs', 30_000, (label, raw) => integer(label, raw, 1, 600_000)),
    maxConcurrentPerService: value('maxConcurrentPerService', 100, (label, raw) => integer(label, raw, 1, 100_000)),
  };
}
