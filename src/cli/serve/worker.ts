import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../../config/config.ts';
import { logReady, serveInstance } from './instance.ts';
import { isMessage, type PrimaryMessage, type WorkerMessage } from './worker-messages.ts';

/** How long a scrape waits for the primary to gather every worker's metrics (prom-client's own limit is 5 s too). */
const GATHER_TIMEOUT_MS = 5_000;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

/**
 * One worker of `serve --workers N` (docs/deployment.md "Sizing by cores"): serves the port the
 * primary shares out, tells the primary when it listens, and answers `/metrics` with the sum over
 * every worker, gathered by the primary.
 */
export async function runWorker(config: Config, worker: number): Promise<void> {
  const app = await serveInstance(config, worker);
  // The primary asks each worker for this registry (prom-client's cluster messages) and sums them.
  AggregatorRegistry.setRegistries([app.metrics.registry]);
  new AggregatorRegistry();
  let next = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (message: unknown) => {
    if (!isMessage<PrimaryMessage>(message) || message.type !== 'portcullis:metrics') return;
    const pending = waiting.get(message.id);
    if (!pending) return;
    waiting.delete(message.id);
    clearTimeout(pending.timer);
    if ('text' in message) pending.resolve(message.text);
    else pending.reject(new Error(`gathering the workers' metrics failed: ${message.error}`));
  });
  app.metrics.gather = () =>
    new Promise((resolve, reject) => {
      const id = next++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error(`the primary did not gather the workers' metrics within ${GATHER_TIMEOUT_MS / 1000} s`));
      }, GATHER_TIMEOUT_MS);
      waiting.set(id, { resolve, reject, timer });
      send({ type: 'portcullis:metrics', id });
    });
  if (worker === 1) logReady(app, config);
  app.logger.info('worker ready');
  send({ type: 'portcullis:ready' });
}
