import type { AuditEvent, AuditRecord } from '../../core/audit.ts';
import type { AuditStore } from '../store.ts';
import type { Driver } from './driver.ts';
import { type Operation, type Row, run } from './operation.ts';
import { multiInsert, sql } from './statement.ts';

const LIST = sql(
  `SELECT * FROM audit_log
   WHERE (:before::bigint IS NULL OR id < :before::bigint) AND (:type::text IS NULL OR type = :type)
     AND (:username::text IS NULL OR username = :username) AND (:client::text IS NULL OR client_id = :client)
   ORDER BY id DESC LIMIT :limit`,
);

const insertEvents = multiInsert('audit_log', ['at', 'type', 'ip', 'client_id', 'username', 'reason', 'detail']);
/** Events per INSERT: a batch of 500 is 16 round trips on PostgreSQL, and at most 32 statements are made. */
const EVENTS_PER_INSERT = 32;

/** An audit record; optional fields that were not recorded are left out, not null. */
function toAuditRecord(row: Row): AuditRecord {
  const record: AuditRecord = { id: row.id as number, at: row.at as number, type: row.type as AuditRecord['type'] };
  for (const [field, column] of [['ip', 'ip'], ['clientId', 'client_id'], ['username', 'username'], ['reason', 'reason']] as const) {
    if (row[column] !== null) record[field] = row[column] as string;
  }
  if (row.detail !== null) record.detail = JSON.parse(row.detail as string) as AuditRecord['detail'];
  return record;
}

function* append(events: AuditEvent[]): Operation<void> {
  for (let start = 0; start < events.length; start += EVENTS_PER_INSERT) {
    const rows = events
      .slice(start, start + EVENTS_PER_INSERT)
      .map((e) => [e.at, e.type, e.ip, e.clientId, e.username, e.reason, e.detail === undefined ? null : JSON.stringify(e.detail)]);
    yield* run(...insertEvents(rows));
  }
}

export function auditStore(db: Driver): AuditStore {
  return {
    appendAudit: async (events) => {
      if (events.length > 0) await db.atomic(() => append(events));
    },
    listAudit: (query) =>
      db.all(
        LIST,
        { before: query.beforeId ?? null, type: query.type ?? null, username: query.username ?? null, client: query.clientId ?? null, limit: query.limit },
        toAuditRecord,
      ),
  };
}
