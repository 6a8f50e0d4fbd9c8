/**
 * What the primary and the workers of `serve --workers N` say to each other over the cluster's
 * IPC channel (primary.ts, worker.ts). The metrics of every worker travel separately, in
 * prom-client's own cluster messages.
 */
export type WorkerMessage =
  /** Worker → primary: listening. */
  | { type: 'portcullis:ready' }
  /** Worker → primary: a scrape arrived; send every worker's metrics, summed. */
  | { type: 'portcullis:metrics'; id: number };

export type PrimaryMessage = { type: 'portcullis:metrics'; id: number; text: string } | { type: 'portcullis:metrics'; id: number; error: string };

/** The environment variable that tells a forked worker its number (1 to N); set by the primary only. */
export const WORKER_NUMBER_ENV = 'PORTCULLIS_WORKER_NUMBER';

export function isMessage<T extends { type: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { type?: unknown }).type === 'string';
}
