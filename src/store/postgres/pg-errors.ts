import type pg from 'pg';

/** SQLSTATE of a failed statement, and the constraint it broke. */
function violation(error: unknown): { code: string; constraint: string | undefined } | undefined {
  if (error instanceof Error && 'code' in error && typeof (error as { code: unknown }).code === 'string') {
    return { code: (error as pg.DatabaseError).code!, constraint: (error as pg.DatabaseError).constraint };
  }
  return undefined;
}

/** SQLSTATEs of PostgreSQL's integrity-constraint class that the store turns into its own errors. */
export const UNIQUE_VIOLATION = '23505';
export const FOREIGN_KEY_VIOLATION = '23503';

/** Whether a statement failed on this SQLSTATE (and, when given, this constraint). */
export function isViolation(error: unknown, code: string, constraint?: string): boolean {
  const found = violation(error);
  return found !== undefined && found.code === code && (constraint === undefined || found.constraint === constraint);
}
