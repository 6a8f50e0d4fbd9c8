import { AsyncLocalStorage } from 'node:async_hooks';
import type { AuditActor } from '../core/audit.ts';

const current = new AsyncLocalStorage<AuditActor>();

/**
 * Runs `work` on behalf of `actor`: every operator change it records names them
 * (docs/security.md#audit-log). The admin API runs each authenticated request this way, and the
 * CLI each data command; the server's own changes (first start, the directory's sync) have no actor.
 */
export function asActor<T>(actor: AuditActor, work: () => T): T {
  return current.run(actor, work);
}

/** The administrator on whose behalf the running code acts, if any. */
export function currentActor(): AuditActor | undefined {
  return current.getStore();
}
