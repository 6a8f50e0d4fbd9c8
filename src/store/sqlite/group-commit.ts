import type Database from 'better-sqlite3';
import { Rollback } from '../sql/operation.ts';

interface PendingWrite {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/**
 * Group commit for SQLite: the write transactions asked for during one turn of the event loop run
 * together in one IMMEDIATE transaction, each inside its own savepoint, and are committed once.
 *
 * Each commit appends every page it touched to the WAL, with its locking and system calls; tokens
 * have random keys, so two concurrent grants rarely share a leaf page but always share the index
 * and interior pages, the locks and the syscalls. Nothing changes for the caller: its promise
 * settles only after the commit that holds its write (a response never announces a token that is
 * not on disk), a write that throws rejects alone, and a failed commit rejects every write of the group.
 *
 * Writes rarely throw, so a group first runs without a savepoint per write (two statements each);
 * when one throws, the whole group rolls back and runs again with a savepoint around each write,
 * so that the failing one rolls back alone. A write is therefore atomic without a transaction of
 * its own, and must be nothing but synchronous database work, safe to run twice. A write that
 * throws a Rollback is undone alone like any other, and settles with the Rollback's outcome.
 */
export class GroupCommit {
  private queue: PendingWrite[] = [];
  private holds = 0;
  private readonly inSavepoint: (work: () => unknown) => unknown;
  private readonly group: (batch: PendingWrite[]) => Outcome[];

  /** `onFlush` runs before each group is written (the store starts its background checkpointer there). */
  constructor(
    db: Database.Database,
    private readonly onFlush: () => void = () => undefined,
  ) {
    // Called inside the group's transaction, a better-sqlite3 transaction function is a savepoint.
    this.inSavepoint = db.transaction((work: () => unknown) => work());
    let writeThrew = false;
    const optimistic = db.transaction((batch: PendingWrite[]): Outcome[] =>
      batch.map((write): Outcome => {
        try {
          return { ok: true, value: write.work() };
        } catch (error) {
          writeThrew = true;
          throw error;
        }
      }),
    );
    const careful = db.transaction((batch: PendingWrite[]): Outcome[] =>
      batch.map((write): Outcome => {
        try {
          return { ok: true, value: this.inSavepoint(write.work) };
        } catch (error) {
          // After some errors (disk full, I/O, out of memory) SQLite has rolled back the whole
          // transaction itself: the writes after it must not commit on their own, so the group fails.
          if (!db.inTransaction) throw error;
          return error instanceof Rollback ? { ok: true, value: error.outcome } : { ok: false, error };
        }
      }),
    );
    this.group = (batch) => {
      writeThrew = false;
      try {
        return optimistic.immediate(batch);
      } catch (error) {
        // Only a write that threw earns the second run; a failed BEGIN or COMMIT (busy, disk) fails the group.
        if (!writeThrew) throw error;
        return careful.immediate(batch);
      }
    };
  }

  /** Runs `work` (synchronous SQLite calls) in the next group; settles once that group is committed. */
  run<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * Holds every write back (they queue, their callers wait) until the returned function is called:
   * the checkpointer's moment with a WAL that nothing of this process appends to.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0 && this.queue.length > 0) setImmediate(() => this.flush());
    };
  }

  /** Commits whatever is queued now, unless writes are held (also called before the database closes). */
  flush(): void {
    const batch = this.queue;
    if (batch.length === 0 || this.holds > 0) return;
    this.queue = [];
    this.onFlush();
    let outcomes: Outcome[];
    try {
      outcomes = this.group(batch);
    } catch (error) {
      for (const write of batch) write.reject(error);
      return;
    }
    batch.forEach((write, index) => {
      const outcome = outcomes[index]!;
      if (outcome.ok) write.resolve(outcome.value);
      else write.reject(outcome.error);
    });
  }
}
