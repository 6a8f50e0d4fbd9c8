import { type ChildProcess, fork } from 'node:child_process';
import { openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromChild, ToChild } from './target.ts';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), '..', 'targets', 'child.ts');

export interface TargetProcess {
  name: string;
  pid: number;
  port: number | undefined;
  url: string;
  info: Record<string, unknown>;
  /** Resident set size of the child, in bytes. */
  rss(): Promise<number>;
  /** CPU time the child has used so far (all its threads), in microseconds. */
  cpu(): Promise<number>;
  call<T>(method: string, argument?: unknown): Promise<T>;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  /** Extra environment for the child (UV_THREADPOOL_SIZE, NODE_ENV, …). */
  env?: Record<string, string>;
  /** Extra Node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/**
 * Starts a target in its own Node process (through tsx), with stdout sent to /dev/null so that a
 * server logging to stdout pays for writing its log lines but the runner does not pay for reading them.
 */
export async function spawnTarget(name: string, options: Record<string, unknown>, spawnOptions: SpawnOptions = {}): Promise<TargetProcess> {
  const devNull = openSync('/dev/null', 'w');
  const child: ChildProcess = fork(CHILD, [name, JSON.stringify(options)], {
    execArgv: ['--import', 'tsx', ...(spawnOptions.nodeArgs ?? [])],
    env: { ...process.env, NODE_ENV: 'production', ...spawnOptions.env },
    stdio: ['ignore', devNull, 'inherit', 'ipc'],
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const ready = await new Promise<Extract<FromChild, { type: 'ready' }>>((resolve, reject) => {
    child.on('message', (message: FromChild) => {
      if (message.type === 'ready') resolve(message);
      else if (message.type === 'failed') reject(new Error(`target ${name} failed to start:\n${message.error}`));
      else {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.error !== undefined) waiter?.reject(new Error(`target ${name}: ${message.error}`));
        else waiter?.resolve(message.value);
      }
    });
    child.once('exit', (code) => {
      reject(new Error(`target ${name} exited with code ${code}`));
      for (const waiter of pending.values()) waiter.reject(new Error(`target ${name} exited with code ${code}`));
    });
  });

  type Request = ToChild extends infer M ? (M extends ToChild ? Omit<M, 'id'> : never) : never;
  const request = <T>(message: Request): Promise<T> => {
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ ...message, id });
    });
  };

  return {
    name,
    pid: ready.pid,
    port: ready.port,
    url: `http://127.0.0.1:${ready.port}`,
    info: ready.info,
    rss: () => request<number>({ type: 'rss' }),
    cpu: () => request<number>({ type: 'cpu' }),
    call: (method, argument) => request({ type: 'call', method, argument }),
    async stop() {
      if (child.exitCode !== null) return;
      await request({ type: 'stop' }).catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
