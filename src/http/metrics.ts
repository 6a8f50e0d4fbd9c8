import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { readBearer } from '../core/bearer-token.ts';
import { type ErrorCode, InvalidToken, Unauthorized } from '../core/errors.ts';
import type { PasswordHasher } from '../core/password-hash.ts';
import { constantTimeEqual, hashSecret } from '../core/secrets.ts';

/** The realm of `/metrics`'s challenge when it requires a token. */
const METRICS_REALM = 'portcullis-metrics';

/**
 * The instance's Prometheus metrics, in a registry of its own (several apps can live in one
 * process, as in the tests). Label values come only from fixed sets (route templates, grant
 * types, the error catalogue's codes), never from raw request input, so cardinality stays bounded.
 */
export class Metrics {
  readonly registry = new Registry();

  readonly tokensIssued = new Counter({
    name: 'portcullis_tokens_issued_total',
    help: 'Successful token responses, per grant type',
    labelNames: ['grant_type'] as const,
    registers: [this.registry],
  });

  readonly failures = new Counter({
    name: 'portcullis_request_failures_total',
    help: 'Failed requests, per route and error code (docs/errors.md)',
    labelNames: ['route', 'error'] as const,
    registers: [this.registry],
  });

  readonly throttled = new Counter({
    name: 'portcullis_throttled_requests_total',
    help: 'Requests refused by brute-force throttling (429 too_many_attempts), per route',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });

  readonly requestDuration = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'Time from request to response, per route',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly passwordHashDuration = new Histogram({
    name: 'portcullis_password_hash_duration_seconds',
    help: 'Time spent hashing or verifying a password (argon2id on the thread pool)',
    labelNames: ['operation'] as const,
    buckets: [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28],
    registers: [this.registry],
  });

  readonly tokensPurged = new Counter({
    name: 'portcullis_tokens_purged_total',
    help: 'Expired and revoked tokens deleted by the background purge',
    registers: [this.registry],
  });

  readonly directoryOperations = new Counter({
    name: 'portcullis_directory_operations_total',
    help: 'LDAP operations against the user directory, per operation (search, bind) and outcome (ok, refused, unavailable)',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Each process counts 1: on `/metrics` of `serve --workers N`, where every series is summed over
   * the workers (docs/deployment.md "Metrics"), it reads how many workers answered the scrape.
   */
  readonly workers = new Gauge({
    name: 'portcullis_workers',
    help: 'Worker processes whose metrics this scrape sums (1 without --workers)',
    registers: [this.registry],
  });

  readonly backgroundJobs = new Gauge({
    name: 'portcullis_background_jobs',
    help: 'Background jobs scheduled, per job (purge, wal_checkpoint, counter_sweep, key_rotation): 1 per host however many workers',
    labelNames: ['job'] as const,
    registers: [this.registry],
  });

  /** Under `serve --workers N`, asks the primary for every worker's metrics, summed (cli/serve/worker.ts); else this process's own. */
  gather: () => Promise<string> = () => this.registry.metrics();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'portcullis_' });
    this.workers.set(1);
  }

  /** Counts one error answer under its route and code; called by the error boundary only. */
  countFailure(request: FastifyRequest, error: ErrorCode): void {
    const route = routeOf(request);
    this.failures.inc({ route, error });
    if (error === 'too_many_attempts') this.throttled.inc({ route });
  }

  /** Reports a database connection pool at each scrape: connections open, idle, and requests waiting for one. */
  observePool(stats: () => { total: number; idle: number; waiting: number }): void {
    new Gauge({
      name: 'portcullis_db_pool_connections',
      help: 'Database pool connections by state; "waiting" counts requests queued for a connection',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const now = stats();
        this.set({ state: 'total' }, now.total);
        this.set({ state: 'idle' }, now.idle);
        this.set({ state: 'waiting' }, now.waiting);
      },
    });
  }
}

/**
 * Reports the user directory at each scrape (docs/directory.md): whether it answered its last
 * operation (1) or not (0), and its two connection pools.
 */
export function observeDirectory(
  metrics: Metrics,
  state: () => { status: string },
  pools: () => Record<'search' | 'bind', { total: number; idle: number; waiting: number }>,
): void {
  new Gauge({
    name: 'portcullis_directory_up',
    help: 'Whether the user directory answered its last operation (1) or not (0); absent before the first',
    registers: [metrics.registry],
    collect() {
      const { status } = state();
      if (status === 'unknown') this.reset();
      else this.set(status === 'up' ? 1 : 0);
    },
  });
  new Gauge({
    name: 'portcullis_directory_pool_connections',
    help: 'User directory connections by pool (search, bind) and state; "waiting" counts logins queued for one',
    labelNames: ['pool', 'state'] as const,
    registers: [metrics.registry],
    collect() {
      for (const [pool, now] of Object.entries(pools())) {
        this.set({ pool, state: 'total' }, now.total);
        this.set({ pool, state: 'idle' }, now.idle);
        this.set({ pool, state: 'waiting' }, now.waiting);
      }
    },
  });
}

/** Wraps a password hasher so that every hash and verification is timed. */
export function meteredHasher(inner: PasswordHasher, metrics: Metrics): PasswordHasher {
  const timed = async <T>(operation: string, work: () => Promise<T>): Promise<T> => {
    const end = metrics.passwordHashDuration.startTimer({ operation });
    try {
      return await work();
    } finally {
      end();
    }
  };
  return {
    hash: (password) => timed('hash', () => inner.hash(password)),
    verify: (storedHash, password) => timed('verify', () => inner.verify(storedHash, password)),
    verifyDummy: (password) => timed('verify_dummy', () => inner.verifyDummy(password)),
    // Not timed (no hashing), but it must pass through: without it no imported hash is upgraded.
    ...(inner.needsRehash && { needsRehash: (storedHash: string) => inner.needsRehash!(storedHash) }),
  };
}

function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/**
 * Adds the timing hook and `GET /metrics` (Prometheus text format). Register before the routes it
 * should observe, so that their encapsulated contexts inherit the hook. Failures are counted by
 * the error boundary, tokens by the token endpoint's route, each from what it knows first-hand.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token?: string): void {
  // A callback hook on the path every request takes: an async hook costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    metrics.requestDuration.observe({ method: request.method, route: routeOf(request), status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  // With `metrics_token` set, a scraper must send it as a bearer token (docs/deployment.md "Metrics").
  const expected = token === undefined ? undefined : hashSecret(token);
  app.get('/metrics', async (request, reply) => {
    if (expected !== undefined) {
      const bearer = readBearer(request.headers.authorization);
      if (bearer.kind === 'absent') throw new Unauthorized(undefined, { realm: METRICS_REALM });
      // Digests of equal length: the comparison's time says nothing about the token.
      if (bearer.kind === 'malformed' || !constantTimeEqual(hashSecret(bearer.token), expected)) throw new InvalidToken(undefined, { realm: METRICS_REALM });
    }
    reply.header('Content-Type', metrics.registry.contentType);
    return metrics.gather();
  });
}
