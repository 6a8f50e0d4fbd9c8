import type { Logger } from 'pino';
import type { ResourceServerConfig } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import type { User } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { ResourceCatalog } from './catalog.ts';
import { Gateway } from './gateway.ts';
import { IntrospectionVerifier } from './introspection-verifier.ts';
import { JwtOrOpaqueVerifier, JwtVerifier, type KeyLookup } from './jwt-verifier.ts';
import { LocalTokenVerifier } from './local-verifier.ts';
import { PrincipalDirectory } from './principals.ts';
import type { TokenVerifier } from './token-verifier.ts';
import { UpstreamProxy } from './upstream-proxy.ts';

/** How the gateway checks JWT access tokens offline: the authorization server's own keys, issuer and audience. */
export interface GatewayJwtOptions {
  keys: KeyLookup;
  issuer: () => string;
  audience: () => Promise<string[]>;
}

/** Remote introspection when configured (its failures logged to `logger`), else the local store. */
export function createTokenVerifier(config: ResourceServerConfig, store: Store, clock: Clock, logger?: Logger): TokenVerifier {
  if (!config.introspection) return new LocalTokenVerifier(store, clock);
  return new IntrospectionVerifier({
    endpoint: config.introspection.url,
    clientId: config.introspection.clientId,
    clientSecret: config.introspection.clientSecret,
    cacheMaxAge: config.cacheMaxAge,
    clock,
    logger: logger ?? false,
  });
}

export interface ResourceServer {
  gateway: Gateway;
  catalog: ResourceCatalog;
  verifier: TokenVerifier;
  close(): void;
}

/**
 * Wires the gateway: token verification per the config, and the catalog and group lookups from
 * the store, refreshed at most every `catalogMaxAge` seconds.
 */
export function createResourceServer(options: {
  config: ResourceServerConfig;
  store: Store;
  clock: Clock;
  catalogMaxAge: number;
  logger?: Logger;
  /** Directory users' cached groups are refreshed through it once stale (docs/directory.md). */
  directory?: { refreshIfStale(user: User): void } | undefined;
  /** Offline verification of JWT access tokens; without it every token is checked online. */
  jwt?: GatewayJwtOptions;
}): ResourceServer {
  const online = createTokenVerifier(options.config, options.store, options.clock, options.logger);
  // With the store at hand, JWTs are verified offline (signature, claims) and the store is asked
  // only for services marked introspect_always; through remote introspection every token is asked.
  const jwt = options.jwt && !options.config.introspection ? options.jwt : undefined;
  const verifier = jwt
    ? new JwtOrOpaqueVerifier(new JwtVerifier({ keys: jwt.keys, issuer: jwt.issuer, audience: jwt.audience, clock: options.clock }), online)
    : online;
  const catalog = new ResourceCatalog(options.store, options.clock, options.catalogMaxAge);
  const principals = new PrincipalDirectory(options.store, options.clock, options.catalogMaxAge, undefined, options.directory);
  const proxy = new UpstreamProxy({ logger: options.logger });
  const defaults = { maxConcurrent: options.config.maxConcurrentPerService, timeoutMs: options.config.upstreamTimeoutMs };
  const gateway = new Gateway({ verifier, recheck: online, catalog, principals, proxy, defaults });
  return { gateway, catalog, verifier, close: () => proxy.close() };
}
