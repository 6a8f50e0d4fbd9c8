import type { Logger } from 'pino';
import type { ResourceServerConfig } from '../config/config.ts';
import type { Clock } from '../core/clock.ts';
import type { User } from '../core/model.ts';
import type { Store } from '../store/store.ts';
import { ResourceCatalog } from './catalog.ts';
import { Gateway } from './gateway.ts';
import { IntrospectionVerifier } from './introspection-verifier.ts';
import { JwtOrOpaqueVerifier, JwtVerifier, type JwtVerifierOptions, type KeyLookup } from './jwt-verifier.ts';
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
  /** Offline verification of JWT access tokens by this instance's own keys (ignored with remote introspection, which uses `config.jwt`). */
  jwt?: GatewayJwtOptions;
}): ResourceServer {
  const online = createTokenVerifier(options.config, options.store, options.clock, options.logger);
  // JWTs are verified offline (signature, claims) and the online check (the store, or remote
  // introspection) is asked only for opaque tokens and for services marked introspect_always.
  // With the store at hand the keys are this instance's own; through remote introspection they
  // are the authorization server's published JWKS (fetched, cached, fetched again on an unknown kid).
  const remote = options.config.introspection ? options.config.jwt : undefined;
  const jwt: JwtVerifierOptions | undefined = remote
    ? { keys: remote.jwksUrl, issuer: remote.issuer, audience: remote.audience, clock: options.clock }
    : options.jwt && !options.config.introspection
      ? { keys: options.jwt.keys, issuer: options.jwt.issuer, audience: options.jwt.audience, clock: options.clock }
      : undefined;
  const verifier = jwt ? new JwtOrOpaqueVerifier(new JwtVerifier(jwt), online) : online;
  const catalog = new ResourceCatalog(options.store, options.clock, options.catalogMaxAge);
  const principals = new PrincipalDirectory(options.store, options.clock, options.catalogMaxAge, undefined, options.directory);
  const proxy = new UpstreamProxy({ logger: options.logger });
  const defaults = { maxConcurrent: options.config.maxConcurrentPerService, timeoutMs: options.config.upstreamTimeoutMs };
  const gateway = new Gateway({ verifier, recheck: online, catalog, principals, proxy, defaults });
  return { gateway, catalog, verifier, close: () => proxy.close() };
}
