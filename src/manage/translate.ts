import { UserError } from '../core/errors.ts';
import { ConflictError, MissingReferenceError } from '../store/store.ts';

/** Turns the store's constraint errors into operator-facing errors (409 / 400). */
export async function translateStoreErrors<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof ConflictError) throw new UserError(error.message, 'conflict');
    if (error instanceof MissingReferenceError) throw new UserError(error.message);
    throw error;
  }
}
