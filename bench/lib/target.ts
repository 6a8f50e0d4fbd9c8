/**
 * A process under measurement. Each target runs in its own child process (bench/targets/child.ts),
 * so that the load generator in the runner and the server never share an event loop.
 */
export interface StartedTarget {
  /** The loopback port it listens on (absent for in-process targets such as raw argon2id). */
  port?: number;
  /**
   * The server's process when the target started one of its own (Portcullis runs `portcullis
   * serve`): memory and CPU are then read from it (Linux /proc), not from the target's process.
   */
  pid?: number;
  /** Facts the runner needs (client ids, secrets, paths), and the settings it runs with, for the report. */
  info: Record<string, unknown>;
  /** Named operations the runner may call in the child over IPC. */
  rpc?: Record<string, (argument: unknown) => Promise<unknown>>;
  close(): Promise<void>;
}

export type TargetStarter = (options: Record<string, unknown>) => Promise<StartedTarget>;

/** Messages between the runner and a target child. */
export type ToChild =
  | { type: 'rss'; id: number }
  | { type: 'cpu'; id: number }
  | { type: 'call'; id: number; method: string; argument: unknown }
  | { type: 'stop'; id: number };

export type FromChild =
  | { type: 'ready'; port?: number; pid: number; info: Record<string, unknown> }
  | { type: 'reply'; id: number; value?: unknown; error?: string }
  | { type: 'failed'; error: string };
