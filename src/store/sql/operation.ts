import type { Row } from '../rows.ts';
import { MissingReferenceError } from '../store.ts';
import type { Statement } from './statement.ts';

export type { Row };
/** Values by parameter name (`:name`); any record will do, keys that the statement does not name are ignored. */
export type Params = object;

/** One statement an operation asks its driver to run, and what it wants back. */
export type Step =
  | { readonly kind: 'one' | 'all' | 'run'; readonly statement: Statement; readonly params: Params }
  /** A script of several statements without parameters (migrations), already in the driver's dialect. */
  | { readonly kind: 'exec'; readonly script: string };

/**
 * Several statements that belong together (a rotation, a client with its scopes), written once
 * for both dialects: a generator that yields its statements and receives their results. The
 * SQLite driver runs it synchronously (so it fits inside a group commit), the PostgreSQL driver
 * awaits each statement on one connection (in its group commit, interleaved with the other writes
 * of the group); a throw rolls back everything it did, on both.
 * An operation may catch a ConstraintViolation only to throw a better error: after a failed
 * statement, PostgreSQL refuses every further one until the rollback.
 */
export type Operation<T> = Generator<Step, T, unknown>;

const NONE: Params = {};

/** The first row, or `undefined` (for `UPDATE … RETURNING`: every row is changed by then). */
export function* one(statement: Statement, params: Params = NONE): Generator<Step, Row | undefined, unknown> {
  return (yield { kind: 'one', statement, params }) as Row | undefined;
}

export function* all(statement: Statement, params: Params = NONE): Generator<Step, Row[], unknown> {
  return (yield { kind: 'all', statement, params }) as Row[];
}

/** Runs a write; returns how many rows it changed. */
export function* run(statement: Statement, params: Params = NONE): Generator<Step, number, unknown> {
  return (yield { kind: 'run', statement, params }) as number;
}

export function* exec(script: string): Generator<Step, void, unknown> {
  yield { kind: 'exec', script };
}

/** A broken constraint, reported alike by both drivers. */
export class ConstraintViolation extends Error {
  override name = 'ConstraintViolation';

  constructor(
    readonly constraint: 'primary_key' | 'unique' | 'foreign_key',
    cause: unknown,
  ) {
    super(`${constraint} constraint violated`, { cause });
  }
}

type Translations = Partial<Record<ConstraintViolation['constraint'], () => Error>>;

/** A catcher that turns a broken constraint of these kinds into the store's own error, and rethrows anything else. */
export function refuse(errors: Translations): (error: unknown) => never {
  return (error) => {
    const translated = error instanceof ConstraintViolation ? errors[error.constraint] : undefined;
    throw translated ? translated() : error;
  };
}

/** A step whose broken constraints become the store's own errors (see `refuse`). */
export function* refusing<T>(step: Generator<Step, T, unknown>, errors: Translations): Generator<Step, T, unknown> {
  try {
    return yield* step;
  } catch (error) {
    return refuse(errors)(error);
  }
}

/**
 * Replaces the rows that link `owner` to named records (a user's groups, a client's scopes):
 * `clear` and `add` take `:owner` (and `:name`); a name with no record is a MissingReferenceError.
 */
export function* relink(clear: Statement, add: Statement, owner: string, names: string[], what: string): Operation<void> {
  yield* run(clear, { owner });
  for (const name of names) yield* refusing(run(add, { owner, name }), { foreign_key: () => new MissingReferenceError(`${what} ${name} does not exist`) });
}

/**
 * Thrown by an operation to undo everything it did and settle with `outcome` instead: the one
 * way an atomic operation gives up (the refresh limit reached after the token was claimed).
 */
export class Rollback<T> extends Error {
  constructor(readonly outcome: T) {
    super('rolled back');
  }
}
