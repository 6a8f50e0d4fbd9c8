import { performance } from 'node:perf_hooks';

/** The pool could not hand out a connection before the deadline: every connection stayed busy. */
export class PoolExhausted extends Error {
  override name = 'PoolExhausted';
}

export interface PoolOptions<C> {
  /** Connections open at once, busy or idle; never more. */
  max: number;
  /** Opens a connection, giving up at `deadline` (milliseconds on `now`'s clock). */
  create(deadline: number): Promise<C>;
  /** Closes a connection; must not throw. */
  destroy(connection: C): void;
  /** Whether an idle connection may be handed out again (still open). */
  usable(connection: C): boolean;
  /** Whether a failure of `work` means the connection is broken (else it goes back to the pool). */
  broken(error: unknown): boolean;
  /** Idle connections older than this are closed instead of reused (servers drop idle connections). */
  idleMs?: number;
  now?: () => number;
}

interface Idle<C> {
  connection: C;
  since: number;
}

interface Waiter<C> {
  /** A connection handed over, or `null`: a slot is free, open one yourself. */
  resolve(connection: C | null): void;
  timer: NodeJS.Timeout;
}

/**
 * A bounded pool of connections. A caller that finds every connection busy waits in line, but only
 * until its deadline, then fails with `PoolExhausted`: a full pool never blocks a request for longer
 * than the request may take. A connection whose work fails as `broken` is closed; when it had
 * been idle in the pool (the server may have dropped it), the work is tried once more on another.
 */
export class ConnectionPool<C> {
  private readonly idle: Idle<C>[] = [];
  private readonly waiters: Waiter<C>[] = [];
  /** Open connections plus those being opened. */
  private size = 0;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: PoolOptions<C>) {
    this.now = options.now ?? (() => performance.now());
  }

  /** Connections open or opening, and idle ones; callers waiting for one. */
  stats(): { total: number; idle: number; waiting: number } {
    return { total: this.size, idle: this.idle.length, waiting: this.waiters.length };
  }

  /** Runs `work` on a connection, returning it to the pool afterwards (or closing it when broken). */
  async use<T>(deadline: number, work: (connection: C) => Promise<T>): Promise<T> {
    for (;;) {
      const { connection, reused } = await this.acquire(deadline);
      try {
        const result = await work(connection);
        this.release(connection);
        return result;
      } catch (error) {
        if (!this.options.broken(error)) {
          this.release(connection);
          throw error;
        }
        this.discard(connection);
        // A reused connection may simply have been closed by the server while idle: one more try.
        if (!reused || this.now() >= deadline) throw error;
      }
    }
  }

  /** Closes every idle connection and refuses further use; busy ones close when released. */
  close(): void {
    this.closed = true;
    for (const { connection } of this.idle.splice(0)) {
      this.size--;
      this.options.destroy(connection);
    }
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.resolve(null);
    }
  }

  private async acquire(deadline: number): Promise<{ connection: C; reused: boolean }> {
    for (;;) {
      if (this.closed) throw new PoolExhausted('the directory connection pool is closed');
      const idle = this.takeIdle();
      if (idle !== undefined) return { connection: idle, reused: true };
      if (this.size < this.options.max) return { connection: await this.open(deadline), reused: false };
      const handed = await this.wait(deadline);
      if (handed !== null) return { connection: handed, reused: true };
    }
  }

  private takeIdle(): C | undefined {
    const now = this.now();
    for (let entry = this.idle.pop(); entry !== undefined; entry = this.idle.pop()) {
      if (this.options.usable(entry.connection) && now - entry.since < (this.options.idleMs ?? Number.POSITIVE_INFINITY)) return entry.connection;
      this.size--;
      this.options.destroy(entry.connection);
    }
    return undefined;
  }

  private async open(deadline: number): Promise<C> {
    this.size++;
    try {
      return await this.options.create(deadline);
    } catch (error) {
      this.size--;
      this.wakeOne(null);
      throw error;
    }
  }

  private wait(deadline: number): Promise<C | null> {
    return new Promise<C | null>((resolve, reject) => {
      const waiter: Waiter<C> = {
        resolve,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new PoolExhausted(`all ${this.options.max} directory connections stayed busy`));
        }, Math.max(0, deadline - this.now())),
      };
      this.waiters.push(waiter);
    });
  }

  private wakeOne(connection: C | null): boolean {
    const waiter = this.waiters.shift();
    if (waiter === undefined) return false;
    clearTimeout(waiter.timer);
    waiter.resolve(connection);
    return true;
  }

  private release(connection: C): void {
    if (this.closed || !this.options.usable(connection)) return this.discard(connection);
    if (!this.wakeOne(connection)) this.idle.push({ connection, since: this.now() });
  }

  private discard(connection: C): void {
    this.size--;
    this.options.destroy(connection);
    this.wakeOne(null);
  }
}
