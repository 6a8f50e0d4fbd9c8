import { Worker } from 'node:worker_threads';
import { packageFile } from '../../package-files.ts';

/**
 * Checkpoints the WAL from a worker thread every `intervalMs`. A checkpoint copies the WAL's pages
 * into the database file and fsyncs both; run by the connection's auto-checkpoint it does so on
 * the event loop, which then answers nothing for tens of milliseconds on a busy disk. Passive
 * checkpoints never block the writer, and the connection's own auto-checkpoint stays as the
 * backstop should this thread fall behind or fail. Started on the first token write, so that CLI
 * commands never start a thread.
 */
export class BackgroundCheckpointer {
  private worker: Worker | undefined;

  constructor(
    private readonly path: string,
    private readonly intervalMs = 200,
  ) {}

  start(): void {
    if (this.worker || this.path === ':memory:') return;
    const worker = new Worker(packageFile('src', 'store', 'sqlite', 'checkpoint-worker.mjs'), {
      workerData: { path: this.path, intervalMs: this.intervalMs },
    });
    worker.unref();
    // If the thread dies, the auto-checkpoint on the main connection carries on alone.
    worker.on('error', () => undefined);
    this.worker = worker;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }
}
