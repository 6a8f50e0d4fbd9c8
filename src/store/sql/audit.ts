import type { AuditEvent } from '../../core/audit.ts';
import type { AuditStore } from '../store.ts';
import { toAuditRecord } from '../rows.ts';
import type { Driver } from './driver.ts';
import { type Operation, run } from './operation.ts';
import { multiInsert, sql } from './statement.ts';

const LIST = sql(
  `SELECT * FROM audit_log
   WHERE (:before::bigint IS NULL OR id < :before::bigint) AND (:type::text IS NULL OR type = :type)
     AND (:username::text IS NULL OR username = :username) AND (:client::text IS NULL OR client_id = :client)
   ORDER BY id DESC LIMIT :limit`,
);

// Ids only grow: the newest `keep` records are those above the max id minus `keep` (fewer when ids have gaps).
const PRUNE = sql(
  `DELETE FROM audit_log WHERE id IN (
     SELECT id FROM audit_log
     WHERE (:before::bigint IS NOT NULL AND at < :before::bigint)
        OR (:keep::bigint IS NOT NULL AND id <= (SELECT max(id) FROM audit_log) - :keep::bigint)
     ORDER BY id LIMIT :limit::integer)`,
);

const insertEvents = multiInsert('audit_log', ['at', 'type', 'ip', 'client_id', 'username', 'reason', 'detail', 'actor', 'actor_via']);
/** Events per INSERT: a batch of 500 is 16 round trips on PostgreSQL, and at most 32 statements are made. */
const EVENTS_PER_INSERT = 32;

function* append(events: AuditEvent[]): Operation<void> {
  for (let start = 0; start < events.length; start += EVENTS_PER_INSERT) {
    const rows = events
      .slice(start, start + EVENTS_PER_INSERT)
      .map((e) => [
        e.at,
        e.type,
        e.ip,
        e.clientId,
        e.username,
        e.reason,
        e.detail === undefined ? null : JSON.stringify(e.detail),
        e.actor?.name ?? null,
        e.actor?.via ?? null,
      ]);
    yield* run(...insertEvents(rows));
  }
}

export function auditStore(db: Driver): AuditStore {
  return {
    appendAudit: async (events) => {
      if (events.length > 0) await db.atomic(() => append(events));
    },
    pruneAudit: (retention, limit) => db.run(PRUNE, { before: retention.before, keep: retention.keep, limit }),
    listAudit: (query) =>
      db.all(
        LIST,
        { before: query.beforeId ?? null, type: query.type ?? null, username: query.username ?? null, client: query.clientId ?? null, limit: query.limit },
        toAuditRecord,
      ),
  };
}
