import pg from 'pg';
import { type Operation, Rollback, type Step } from '../sql/operation.ts';

/** Runs one step of an operation on a connection; resolves with what the operation receives back. */
export type Execute = (client: pg.PoolClient, step: Step) => Promise<unknown>;

interface PendingWrite {
  operation: () => Operation<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A write's statement failed, or the write threw, in a group run without savepoints: run the group again with them. */
class WriteFailed extends Error {}

/**
 * Group commit for PostgreSQL: the hot writes (tokens issued and rotated, throttle counters) asked
 * for while the previous groups were in flight run together in one transaction on one connection,
 * committed once.
 *
 * The connection pipelines (`pg`'s pipeline mode): BEGIN and the first statement of every write of
 * the group go out in one write to the socket, and each write's next statement goes out as soon as
 * its previous answer is back, without waiting for the other writes' answers. A group of writes of
 * three statements each therefore costs about four round trips and one WAL flush, whatever its
 * size, where each write alone cost five round trips and a flush of its own.
 *
 * Nothing changes for the caller, as with SQLite's group commit (sqlite/group-commit.ts): its
 * promise settles only after the COMMIT that holds its write has been acknowledged (a response
 * never announces a token that is not committed; a connection lost before that rejects the whole
 * group), a write that throws rejects alone, and a failed COMMIT rejects every write of the group.
 *
 * Writes rarely fail, so a group first runs without savepoints, its writes interleaved. When one
 * fails (a broken constraint, a Rollback, a deadlock with another instance's group), PostgreSQL
 * refuses every further statement of the transaction: the group rolls back and runs again, one
 * write after the other, each inside its own savepoint, so that the failing one is undone alone.
 * A write must therefore be safe to run twice, and nothing but database work.
 */
export class PostgresGroupCommit {
  private queue: PendingWrite[] = [];
  private inFlight = 0;
  private scheduled = false;

  /**
   * `maxGroups`: groups in flight at once, each on its own connection (the rest of the pool serves
   * reads); `maxGroupSize`: writes in one group.
   */
  constructor(
    private readonly pool: pg.Pool,
    private readonly execute: Execute,
    private readonly maxGroups: number,
    private readonly maxGroupSize = 256,
  ) {}

  /** Runs `operation` in a coming group; settles once that group is committed. */
  run<T>(operation: () => Operation<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ operation, resolve: resolve as (value: unknown) => void, reject });
      this.schedule();
    });
  }

  // The writes asked for during one turn of the event loop start together; while every allowed
  // group is in flight, the queue grows, and the next group takes all of it.
  private schedule(): void {
    if (this.scheduled || this.queue.length === 0 || this.inFlight >= this.maxGroups) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.queue.length > 0 && this.inFlight < this.maxGroups) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight++;
    let client: pg.PoolClient | undefined;
    let batch: PendingWrite[] = [];
    try {
      client = await this.pool.connect();
      // Taken once the connection is ours: the writes that came while waiting for it join too.
      batch = this.queue.splice(0, this.maxGroupSize);
      // Another group, connected first, may have taken them all.
      if (batch.length === 0) {
        client.release();
        return;
      }
      const outcomes = await this.commit(client, batch);
      batch.forEach((write, index) => {
        const outcome = outcomes[index]!;
        if (outcome.ok) write.resolve(outcome.value);
        else write.reject(outcome.error);
      });
      client.release();
    } catch (error) {
      if (batch.length === 0) batch = this.queue.splice(0, this.maxGroupSize);
      for (const write of batch) write.reject(error);
      // A connection in an unknown state is closed, not handed to the next request.
      client?.release(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  private async commit(client: pg.PoolClient, batch: PendingWrite[]): Promise<Outcome[]> {
    const begun = client.query('BEGIN');
    const settled = await Promise.allSettled([begun, ...batch.map((write) => this.interleaved(client, write.operation()))]);
    if (settled[0].status === 'rejected') throw settled[0].reason;
    settled.shift();
    if (settled.every((run) => run.status === 'fulfilled')) {
      await client.query('COMMIT');
      return settled.map((run) => ({ ok: true, value: (run as PromiseFulfilledResult<unknown>).value }));
    }
    const failure = settled.find((run): run is PromiseRejectedResult => run.status === 'rejected')!.reason as unknown;
    // A lost connection (or anything but a write that failed) fails the group.
    if (!(failure instanceof WriteFailed)) throw failure;
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    const outcomes: Outcome[] = [];
    for (const write of batch) outcomes.push(await this.alone(client, write));
    await client.query('COMMIT');
    return outcomes;
  }

  /** Runs one write of an optimistic group; any failure of a statement or of the write becomes a WriteFailed. */
  private async interleaved(client: pg.PoolClient, operation: Operation<unknown>): Promise<unknown> {
    let next: IteratorResult<Step, unknown>;
    try {
      next = operation.next();
    } catch {
      throw new WriteFailed();
    }
    while (!next.done) {
      let result: unknown;
      try {
        result = await this.execute(client, next.value);
      } catch (error) {
        operation.return(undefined);
        throw isStatementError(error) ? new WriteFailed() : error;
      }
      try {
        next = operation.next(result);
      } catch {
        throw new WriteFailed();
      }
    }
    return next.value;
  }

  /**
   * Runs one write inside its own savepoint: a failure rolls back this write alone. Two groups in
   * flight at once may take the same rows in opposite orders (throttle counters of one user and
   * address): PostgreSQL then aborts one statement as a deadlock; the write is run again, from its
   * start, a few times before it fails.
   */
  private async alone(client: pg.PoolClient, write: PendingWrite): Promise<Outcome> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.once(client, write.operation());
      if (outcome.ok || attempt === CONFLICT_ATTEMPTS || !isConflict(outcome.error)) return outcome;
    }
  }

  private async once(client: pg.PoolClient, operation: Operation<unknown>): Promise<Outcome> {
    await client.query('SAVEPOINT write');
    try {
      let next = operation.next();
      while (!next.done) {
        let result: unknown;
        try {
          result = await this.execute(client, next.value);
        } catch (error) {
          if (!isStatementError(error)) throw error;
          next = operation.throw(error);
          continue;
        }
        next = operation.next(result);
      }
      await client.query('RELEASE SAVEPOINT write');
      return { ok: true, value: next.value };
    } catch (error) {
      // A lost connection fails the group (the ROLLBACK TO below throws it again).
      await client.query('ROLLBACK TO SAVEPOINT write');
      return error instanceof Rollback ? { ok: true, value: error.outcome } : { ok: false, error };
    }
  }
}

/** deadlock_detected and serialization_failure: the statement lost to a concurrent transaction, and may be run again. */
const CONFLICTS = new Set(['40P01', '40001']);
const CONFLICT_ATTEMPTS = 3;

function isConflict(error: unknown): boolean {
  const reported = serverError(error);
  return reported !== undefined && CONFLICTS.has(reported.code ?? '');
}

/** An error the server reported for one statement (the session goes on), as opposed to a lost connection or a FATAL one. */
function isStatementError(error: unknown): boolean {
  const reported = serverError(error);
  return reported !== undefined && reported.severity !== 'FATAL' && reported.severity !== 'PANIC';
}

/** The server's report behind an error, also when the SQL layer wrapped it (a ConstraintViolation's cause). */
function serverError(error: unknown): pg.DatabaseError | undefined {
  const reported = error instanceof Error && error.cause instanceof pg.DatabaseError ? error.cause : error;
  return reported instanceof pg.DatabaseError ? reported : undefined;
}
