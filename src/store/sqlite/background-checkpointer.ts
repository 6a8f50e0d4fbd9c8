import { Worker } from 'node:worker_threads';
import { packageFile } from '../../package-files.ts';

/** What the store lends the checkpointer: its connection's auto-checkpoint and a hold on its writes. */
export interface CheckpointHooks {
  /** Sets the connection's `wal_autocheckpoint` (0: off). */
  autoCheckpoint(pages: number): void;
  /** Holds this process's writes back until the returned function is called. */
  holdWrites(): () => void;
}

export interface CheckpointOptions {
  /** How often the thread checkpoints, in ms. */
  intervalMs?: number;
  /** WAL length, in pages, past which the WAL is brought back to its start (default WAL_LIMIT_PAGES). */
  limitPages?: number;
}

/** The main connection's auto-checkpoint when no thread does the work (and once one has failed). */
export const AUTO_CHECKPOINT_PAGES = 10_000;

/**
 * WAL length, in pages, past which the thread has the writes held so that the WAL starts over
 * (about 160 MB). Each hold makes every write in flight wait for a checkpoint's two fsyncs: under a
 * refresh load (about 8 new WAL pages per rotation) a limit of 10,000 pages held the writes about
 * every 1,200 rotations, often enough for the held requests to be more than 1% of all. A longer WAL
 * costs reads nothing (a reader searches only the frames not yet copied, which the passive
 * checkpoints keep few), only disk space, and the time to read it back after a crash.
 */
export const WAL_LIMIT_PAGES = 40_000;

/** Longest a hold may last should the thread not answer: writes never wait on a lost thread. */
const HOLD_TIMEOUT_MS = 500;

type FromWorker = { type: 'ready' } | { type: 'hold' } | { type: 'checkpointed' };

/**
 * Checkpoints the WAL from a worker thread, so that no checkpoint runs on the event loop. A
 * checkpoint copies the WAL's pages into the database file and fsyncs both; run by the connection's
 * auto-checkpoint it did so on the event loop, which then answered nothing for tens of milliseconds.
 * Once the thread runs, the connection's auto-checkpoint is off; should the thread fail, it is on again.
 *
 * Passive checkpoints (every `intervalMs`) copy pages without ever blocking a writer, but they alone
 * do not bound the WAL: SQLite starts the WAL over only when a write transaction begins on a WAL
 * that is wholly copied, and under constant writes some frames always arrived during the last
 * checkpoint. So when the WAL passes `limitPages`, the thread asks for a hold: the store's writes
 * queue (the event loop runs on: reads, hashing, parsing), the thread copies the few frames left
 * and fsyncs, the hold ends, and the next write transaction starts the WAL over from its first frame.
 * The hold costs the queued writes one short checkpoint, once per `limitPages` of WAL. Other
 * processes on the file (the other workers of `serve --workers`) must stop appending too, or the WAL
 * never starts over: for that short checkpoint the thread also holds SQLite's write lock, on a
 * connection of its own, so their writers wait in their busy handlers as for any other writer's commit.
 * Started on the first token write, so that CLI commands never start a thread.
 */
export class BackgroundCheckpointer {
  private worker: Worker | undefined;
  private release: (() => void) | undefined;
  /** The thread failed once: the connection checkpoints by itself from then on, no thread is started again. */
  private failed = false;
  /** For diagnostics (bench/micro/checkpoint-holds.ts): how often and how long the writes were held. */
  readonly statistics = { holds: 0, heldMs: 0, longestHoldMs: 0 };

  constructor(
    private readonly path: string,
    private readonly hooks: CheckpointHooks,
    private readonly options: CheckpointOptions = {},
  ) {}

  start(): void {
    if (this.worker || this.failed || this.path === ':memory:') return;
    const worker = new Worker(packageFile('src', 'store', 'sqlite', 'checkpoint-worker.mjs'), {
      workerData: { path: this.path, intervalMs: this.options.intervalMs ?? 200, limitPages: this.options.limitPages ?? WAL_LIMIT_PAGES },
    });
    worker.unref();
    worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') this.hooks.autoCheckpoint(0);
      else if (message.type === 'hold') this.hold(worker);
      else this.endHold();
    });
    // If the thread dies, the connection checkpoints by itself again.
    const failed = () => {
      if (this.worker !== worker) return;
      this.failed = true;
      this.worker = undefined;
      this.endHold();
      this.hooks.autoCheckpoint(AUTO_CHECKPOINT_PAGES);
    };
    worker.on('error', failed);
    worker.on('exit', failed);
    this.worker = worker;
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.endHold();
    if (worker) {
      await worker.terminate();
      this.hooks.autoCheckpoint(AUTO_CHECKPOINT_PAGES);
    }
  }

  private hold(worker: Worker): void {
    if (this.release) return;
    // No write is running now (writes are synchronous on this thread): from here none starts until the hold ends.
    const resume = this.hooks.holdWrites();
    const timer = setTimeout(() => this.endHold(), HOLD_TIMEOUT_MS);
    const start = performance.now();
    this.release = () => {
      clearTimeout(timer);
      resume();
      const ms = performance.now() - start;
      this.statistics.holds++;
      this.statistics.heldMs += ms;
      this.statistics.longestHoldMs = Math.max(this.statistics.longestHoldMs, ms);
    };
    worker.postMessage({ type: 'held' });
  }

  private endHold(): void {
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}
