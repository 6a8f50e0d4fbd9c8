import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../../config/config.ts';
import { createLogger } from '../../http/logger.ts';
import { announceAdministrator } from './instance.ts';
import { isMessage, type PrimaryMessage, WORKER_NUMBER_ENV, type WorkerMessage } from './worker-messages.ts';

/** Workers still running this long after SIGTERM are killed, so that the whole server is gone within 5 s. */
const SHUTDOWN_DEADLINE_MS = 4_500;
/** A crashed worker is restarted after this delay, doubled after each crash that came soon after a start… */
const FIRST_RESTART_DELAY_MS = 100;
/** …up to this… */
const MAX_RESTART_DELAY_MS = 30_000;
/** …and back to the first delay once a worker has run this long. */
const STABLE_AFTER_MS = 60_000;

/**
 * The primary process of `serve --workers N` (docs/deployment.md "Sizing by cores"). It serves no
 * request itself: it does the first start once (migrations, server key, administrator, first
 * signing key), forks the workers, which share its port through node:cluster, restarts a worker that
 * crashes (with a back-off), gathers the workers' metrics for `/metrics`, and on SIGTERM or SIGINT
 * stops every worker gracefully, killing any still running after 4.5 s.
 *
 * node:cluster rather than `SO_REUSEPORT`: Node 20 cannot set that option, and with it the kernel
 * hashes each connection to a socket, so a long-lived connection pins its share of the load;
 * cluster's round-robin hands each new connection to the next worker.
 */
export async function runPrimary(config: Config): Promise<void> {
  const logger = createLogger(config.logLevel).child({ worker: 'primary' });
  const { prepareFirstStart } = await import('../../app.ts');
  announceAdministrator(await prepareFirstStart(config));

  const aggregator = new AggregatorRegistry();
  const live = new Map<number, Worker>();
  const readyWorkers = new Set<Worker>();
  const restartDelay = new Map<number, number>();
  const restarts = new Set<NodeJS.Timeout>();
  let allReady = false;
  let stopping: { done: () => void } | undefined;
  let exitCode = 0;

  const stop = (reason: string, code = 0) => {
    if (stopping) return;
    exitCode = code;
    logger.info({ reason, workers: live.size }, 'stopping the workers');
    for (const timer of restarts) clearTimeout(timer);
    const killer = setTimeout(() => {
      for (const [number, worker] of live) {
        logger.warn({ stopped: number }, 'worker still running at the shutdown deadline; killed');
        worker.process.kill('SIGKILL');
      }
    }, SHUTDOWN_DEADLINE_MS);
    stopping = {
      done: () => {
        clearTimeout(killer);
        process.exit(exitCode);
      },
    };
    if (live.size === 0) stopping.done();
    for (const worker of live.values()) worker.process.kill('SIGTERM');
  };

  const fork = (number: number) => {
    const startedAt = Date.now();
    const worker = cluster.fork({ [WORKER_NUMBER_ENV]: String(number) });
    live.set(number, worker);
    worker.on('message', (message: unknown) => {
      if (!isMessage<WorkerMessage>(message)) return;
      if (message.type === 'portcullis:ready') {
        readyWorkers.add(worker);
        if (!allReady && readyWorkers.size === config.workers) {
          allReady = true;
          logger.info({ issuer: config.issuer, store: config.databaseUrl === undefined ? 'sqlite' : 'postgres', workers: config.workers }, 'portcullis is ready');
        }
      } else if (message.type === 'portcullis:metrics') {
        const reply = (answer: PrimaryMessage) => {
          if (worker.isConnected()) worker.send(answer);
        };
        aggregator.clusterMetrics().then(
          (text) => reply({ type: 'portcullis:metrics', id: message.id, text }),
          (error: unknown) => reply({ type: 'portcullis:metrics', id: message.id, error: error instanceof Error ? error.message : String(error) }),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      live.delete(number);
      readyWorkers.delete(worker);
      if (stopping) {
        if (live.size === 0) stopping.done();
        return;
      }
      if (!allReady) {
        // A worker that cannot start (the port is taken, the database unreachable) has said why on
        // stderr; the others would fail alike, and restarting would only repeat it.
        logger.error({ failed: number, code, signal }, 'a worker failed to start');
        stop('a worker failed to start', code === 0 || code === null ? 1 : code);
        return;
      }
      const ranFor = Date.now() - startedAt;
      const delay = ranFor >= STABLE_AFTER_MS ? FIRST_RESTART_DELAY_MS : Math.min(MAX_RESTART_DELAY_MS, restartDelay.get(number) ?? FIRST_RESTART_DELAY_MS);
      restartDelay.set(number, Math.min(MAX_RESTART_DELAY_MS, delay * 2));
      logger.error({ crashed: number, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited unexpectedly; restarting it');
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (!stopping) fork(number);
      }, delay);
      restarts.add(timer);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let number = 1; number <= config.workers; number++) fork(number);
}
