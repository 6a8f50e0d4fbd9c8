import type { AuditEvent, AuditRecord } from '../core/audit.ts';
import type { Clock } from '../core/clock.ts';
import type { Store } from '../store/store.ts';
import { currentActor } from './actor.ts';

/**
 * Records an operator change (docs/security.md "Audit log"). Operator changes are rare, so they are
 * written at once rather than buffered like the token endpoint's events.
 */
export async function auditChange(store: Store, clock: Clock, event: Omit<AuditEvent, 'at'>): Promise<void> {
  await store.appendAudit([{ at: clock.nowSeconds(), actor: currentActor() ?? null, ...event }]);
}

/** The newest audit records, as the CLI and APIs show them. */
export async function tailAudit(store: Store, limit: number): Promise<Record<string, unknown>[]> {
  return (await store.listAudit({ limit })).reverse().map(describeAudit);
}

export function describeAudit(record: AuditRecord): Record<string, unknown> {
  return {
    id: record.id,
    at: new Date(record.at * 1000).toISOString(),
    type: record.type,
    ip: record.ip ?? null,
    client_id: record.clientId ?? null,
    username: record.username ?? null,
    reason: record.reason ?? null,
    detail: record.detail ?? null,
    actor: record.actor?.name ?? null,
    actor_via: record.actor?.via ?? null,
  };
}

export interface AuditPageQuery {
  limit: number;
  /** Records older than this id (the previous page's `next_before`). */
  before?: number;
  type?: string;
  username?: string;
  clientId?: string;
}

/**
 * One page of the audit log, newest first, with the cursor of the next (older) page: `null` when
 * this page is the last. Filters are exact matches on indexed-or-small columns.
 */
export async function pageAudit(store: Store, query: AuditPageQuery): Promise<{ records: Record<string, unknown>[]; next_before: number | null }> {
  // One record more than asked tells whether an older page exists.
  const rows = await store.listAudit({
    limit: query.limit + 1,
    beforeId: query.before,
    type: query.type,
    username: query.username,
    clientId: query.clientId,
  });
  const page = rows.slice(0, query.limit);
  return { records: page.map(describeAudit), next_before: rows.length > query.limit ? page[page.length - 1]!.id : null };
}
