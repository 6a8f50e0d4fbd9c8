import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { sharedLoginThrottle } from './admin/login-throttle.ts';
import type { AuthzContext } from './authz/context.ts';
import { AuditLog } from './authz/audit-log.ts';
import { KeyRing } from './authz/key-ring.ts';
import { SettingsCache } from './authz/settings-cache.ts';
import { LoginThrottle } from './authz/throttle.ts';
import { openThrottleBackend } from './authz/throttle-backends.ts';
import type { Config } from './config/config.ts';
import { type Clock, systemClock } from './core/clock.ts';
import { Argon2Hasher, type PasswordHasher } from './core/password-hash.ts';
import { DirectoryUsers } from './directory/directory-users.ts';
import { LdapDirectory } from './directory/ldap-directory.ts';
import { createLogger } from './http/logger.ts';
import { Metrics, meteredHasher, observeDirectory } from './http/metrics.ts';
import { buildServer } from './http/server.ts';
import { type BootstrapResult, bootstrap } from './manage/bootstrap.ts';
import { loadServerKey, serverKeySource } from './manage/server-key.ts';
import { createResourceServer, type ResourceServer } from './resource/resource-server.ts';
import { explainStoreFailure, openStore } from './store/open-store.ts';
import { type PurgeJob, startPurgeJob } from './store/purge-job.ts';
import type { Store } from './store/store.ts';
import type { SecretBox } from './core/secret-box.ts';

export interface App {
  server: FastifyInstance;
  store: Store;
  ctx: AuthzContext;
  logger: Logger;
  bootstrap: BootstrapResult;
  resource: ResourceServer;
  metrics: Metrics;
  /** The background purge of expired and revoked tokens; `undefined` when purge_interval is 0 or another worker runs it. */
  purge: PurgeJob | undefined;
  /** Stops accepting connections, lets in-flight requests finish, closes the store. */
  close(): Promise<void>;
}

export interface AppOverrides {
  clock?: Clock;
  hasher?: PasswordHasher;
  logDestination?: DestinationStream;
  /**
   * Under `serve --workers N` (docs/deployment.md "Sizing by cores"): this worker's number, 1 to N.
   * Its log lines carry it, and only worker 1 runs the host's background jobs (see `runsBackgroundJobs`).
   */
  worker?: number;
}

/**
 * Whether this process runs the host's timers: the token purge, the SQLite WAL checkpoint thread,
 * the sweep of expired throttle counters and the scheduled signing-key rotation. A single process
 * does; of several workers on one host only worker 1 does, so that they run once per host (and,
 * as before, safely once per host on each of several hosts sharing PostgreSQL).
 */
export function runsBackgroundJobs(worker: number | undefined): boolean {
  return worker === undefined || worker === 1;
}

/** Wires a complete Portcullis instance from its configuration: store, migrations, first-run setup, HTTP. */
export async function createApp(config: Config, overrides: AppOverrides = {}): Promise<App> {
  const rootLogger = createLogger(config.logLevel, overrides.logDestination);
  const logger = overrides.worker === undefined ? rootLogger : rootLogger.child({ worker: overrides.worker });
  const jobs = runsBackgroundJobs(overrides.worker);
  const clock = overrides.clock ?? systemClock;
  const metrics = new Metrics();
  const hasher = meteredHasher(overrides.hasher ?? new Argon2Hasher(config.argon2), metrics);
  const store = await openStore({ ...config, backgroundCheckpoint: jobs });
  if (store.poolStats) metrics.observePool(() => store.poolStats!());
  let throttleBackend: Awaited<ReturnType<typeof openThrottleBackend>> | undefined;
  let directory: DirectoryUsers | undefined;
  try {
    const { secretBox, setup } = await firstStartSteps(store, config, hasher, clock);
    // Counters shared by every instance: Redis when configured, else the store's database.
    throttleBackend = await openThrottleBackend(config, store, { sweep: jobs });
    const throttle = new LoginThrottle(config.throttle, throttleBackend);
    const recording = new Set<Promise<void>>();
    throttle.onBlock = (block) => {
      const since = clock.nowSeconds();
      const write = store
        .recordThrottleBlock({ counter: block.counter, username: block.username, ip: block.ip, since, until: since + block.seconds })
        .catch((error: unknown) => logger.error({ err: error }, 'recording a throttle block failed'))
        .finally(() => recording.delete(write));
      recording.add(write);
      return write;
    };
    const authorizationServer = config.resourceServer.introspection === undefined;
    if (config.directory) {
      const ldap = new LdapDirectory(config.directory, {
        ca: config.directory.caFile === undefined ? undefined : readFileSync(config.directory.caFile, 'utf8'),
        clock,
        logger,
        observe: (operation, outcome) => metrics.directoryOperations.inc({ operation, outcome }),
      });
      directory = new DirectoryUsers(ldap, store, clock, logger);
      observeDirectory(metrics, () => ldap.state, () => ldap.poolStats());
      // The mapped groups exist, and no local user has a directory user's name (else a ConfigError).
      await directory.start();
    }
    const settings = new SettingsCache(store, clock, config.settingsMaxAge);
    const keys = new KeyRing(store, secretBox, clock, () => settings.get(), config.settingsMaxAge, {
      rotateOnSchedule: jobs,
      // One event loop and a core beside it: JWT signatures may go to the thread pool (docs/tokens.md "What each costs").
      signOnThreadPool: overrides.worker === undefined && availableParallelism() > 1,
    });
    await keys.start();
    const ctx: AuthzContext = {
      store,
      hasher,
      clock,
      settings,
      keys,
      issuer: config.issuer,
      throttle,
      secretBox,
      audit: new AuditLog(store, (error) => logger.error({ err: error }, 'audit write failed')),
      refreshReuseLeeway: config.refreshReuseLeeway,
      ...(directory ? { directory } : {}),
    };
    const resource = createResourceServer({
      config: config.resourceServer,
      store,
      clock,
      catalogMaxAge: config.settingsMaxAge,
      logger,
      directory,
      jwt: {
        keys: (header) => keys.verificationKey(header),
        issuer: () => ctx.issuer,
        // The gateway is the default audience: tokens for other resources (RFC 8707) are not for it.
        audience: async () => {
          const configured = (await settings.get()).defaultAudience;
          return [configured === '' ? ctx.issuer : configured];
        },
      },
    });
    const server = await buildServer({
      ctx,
      logger,
      trustedProxies: config.trustedProxies,
      limits: config.http,
      metricsToken: config.metricsToken,
      gateway: resource.gateway,
      authorizationServer,
      // Admin sign-in shares the token endpoint's throttle: same counters, same policy.
      admin: { throttle: sharedLoginThrottle(ctx), sourceMaps: config.development },
      https: config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined,
      metrics,
      worker: overrides.worker,
    });
    const purge =
      jobs && config.purge.intervalSeconds > 0
        ? startPurgeJob({
            store,
            clock,
            logger,
            intervalMs: config.purge.intervalSeconds * 1000,
            batchSize: config.purge.batchSize,
            onPurged: (count) => metrics.tokensPurged.inc(count),
            auditRetention: config.auditRetention,
          })
        : undefined;
    if (jobs) {
      if (purge) metrics.backgroundJobs.set({ job: 'purge' }, 1);
      if (store.kind === 'sqlite') metrics.backgroundJobs.set({ job: 'wal_checkpoint' }, 1);
      if (config.redis === undefined) metrics.backgroundJobs.set({ job: 'counter_sweep' }, 1);
      metrics.backgroundJobs.set({ job: 'key_rotation' }, 1);
    }
    return {
      server,
      store,
      ctx,
      logger,
      bootstrap: setup,
      resource,
      metrics,
      purge,
      async close() {
        // In-flight requests finish first; then the purge, which may be mid-batch; then the store.
        await server.close();
        await ctx.audit.flush(true);
        resource.close();
        await purge?.stop();
        await directory?.settled();
        directory?.close();
        await Promise.all(recording);
        await throttleBackend?.close?.();
        await store.close();
      },
    };
  } catch (error) {
    directory?.close();
    await throttleBackend?.close?.();
    await store.close();
    throw error;
  }
}

/**
 * What the first start of an empty database creates, and every later start checks: the
 * migrations, the server key (on SQLite its file, made once), and the administrator (its
 * generated password is returned, to be shown once). Each step is safe when instances race.
 */
async function firstStartSteps(store: Store, config: Config, hasher: PasswordHasher, clock: Clock): Promise<{ secretBox: SecretBox; setup: BootstrapResult }> {
  await store.migrate().catch((error: unknown) => {
    throw explainStoreFailure(error, config);
  });
  const secretBox = await loadServerKey(serverKeySource(config), store);
  // With introspection configured this instance is a resource server only (docs/resource-server.md):
  // tokens, sign-in and the console belong to the authorization server it asks, so it serves none
  // of them and creates no administrator in its own database.
  const setup: BootstrapResult =
    config.resourceServer.introspection === undefined ? await bootstrap(store, hasher, clock, config.adminPassword) : { createdAdmin: false };
  return { secretBox, setup };
}

/**
 * The first start, done once by the primary of `serve --workers N` before it forks
 * (docs/deployment.md "Sizing by cores"): `firstStartSteps` and the first signing key. The workers'
 * `createApp` then finds everything in place, and the generated password is printed by one process, once.
 */
export async function prepareFirstStart(config: Config): Promise<BootstrapResult> {
  const store = await openStore({ ...config, backgroundCheckpoint: false });
  try {
    const { secretBox, setup } = await firstStartSteps(store, config, new Argon2Hasher(config.argon2), systemClock);
    const settings = new SettingsCache(store, systemClock, config.settingsMaxAge);
    await new KeyRing(store, secretBox, systemClock, () => settings.get(), config.settingsMaxAge, { rotateOnSchedule: false, signOnThreadPool: false }).start();
    return setup;
  } finally {
    await store.close();
  }
}
