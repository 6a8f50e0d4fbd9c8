import type { AuditEvent, AuditRecord } from '../../core/audit.ts';
import { type AdminSession, DEFAULT_SETTINGS, type Settings, type ThrottleBlock } from '../../core/model.ts';
import type { AuditQuery } from '../store.ts';
import { type Row, toAdminSession, toAuditRecord, toThrottleBlock } from '../rows.ts';
import type { SqliteContext } from './context.ts';

export function getSettings(ctx: SqliteContext): Settings {
  const rows = ctx.sql('SELECT key, value FROM settings').all() as Row[];
  const settings: Settings = { ...DEFAULT_SETTINGS };
  for (const row of rows) {
    const value = JSON.parse(row.value as string) as never;
    const key = row.key as string;
    if (key in settings) (settings as unknown as Record<string, unknown>)[key] = value;
  }
  return settings;
}

export function updateSettings(ctx: SqliteContext, patch: Partial<Settings>): Settings {
  const upsert = ctx.sql('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  ctx.db.transaction(() => {
    for (const [key, value] of Object.entries(patch)) {
      if (value !== undefined) upsert.run(key, JSON.stringify(value));
    }
  })();
  return getSettings(ctx);
}

export function createAdminSession(ctx: SqliteContext, session: AdminSession): void {
  ctx.sql('INSERT INTO admin_sessions (id_hash, username, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
    session.idHash,
    session.username,
    session.createdAt,
    session.lastSeenAt,
    session.expiresAt,
  );
}

export function findAdminSession(ctx: SqliteContext, idHash: string): AdminSession | undefined {
  const row = ctx.sql('SELECT * FROM admin_sessions WHERE id_hash = ?').get(idHash) as Row | undefined;
  return row && toAdminSession(row);
}

export function touchAdminSession(ctx: SqliteContext, idHash: string, lastSeenAt: number): void {
  ctx.sql('UPDATE admin_sessions SET last_seen_at = max(last_seen_at, ?) WHERE id_hash = ?').run(lastSeenAt, idHash);
}

export function deleteAdminSession(ctx: SqliteContext, idHash: string): boolean {
  return ctx.sql('DELETE FROM admin_sessions WHERE id_hash = ?').run(idHash).changes > 0;
}

export function deleteAdminSessionsOf(ctx: SqliteContext, username: string): number {
  return ctx.sql('DELETE FROM admin_sessions WHERE username = ?').run(username).changes;
}

export function purgeAdminSessions(ctx: SqliteContext, now: number, idleBefore: number): number {
  return ctx.sql('DELETE FROM admin_sessions WHERE expires_at <= ? OR last_seen_at < ?').run(now, idleBefore).changes;
}

export function appendAudit(ctx: SqliteContext, events: AuditEvent[]): void {
  const insert = ctx.sql(
    `INSERT INTO audit_log (at, type, ip, client_id, username, reason, detail)
     VALUES (@at, @type, @ip, @clientId, @username, @reason, @detail)`,
  );
  ctx.db.transaction(() => {
    for (const event of events) {
      insert.run({
        at: event.at,
        type: event.type,
        ip: event.ip ?? null,
        clientId: event.clientId ?? null,
        username: event.username ?? null,
        reason: event.reason ?? null,
        detail: event.detail === undefined ? null : JSON.stringify(event.detail),
      });
    }
  })();
}

export function listAudit(ctx: SqliteContext, query: AuditQuery): AuditRecord[] {
  const rows = ctx.sql(
    `SELECT * FROM audit_log WHERE (@before IS NULL OR id < @before) AND (@type IS NULL OR type = @type)
       AND (@username IS NULL OR username = @username) AND (@client IS NULL OR client_id = @client)
     ORDER BY id DESC LIMIT @limit`,
  ).all({
    before: query.beforeId ?? null,
    limit: query.limit,
    type: query.type ?? null,
    username: query.username ?? null,
    client: query.clientId ?? null,
  }) as Row[];
  return rows.map(toAuditRecord);
}

export function recordThrottleBlock(ctx: SqliteContext, block: ThrottleBlock): void {
  ctx.db.transaction(() => {
    ctx.sql('DELETE FROM throttle_blocks WHERE until < ?').run(block.since - FORGET_BLOCKS_AFTER);
    ctx.sql(
      `INSERT INTO throttle_blocks (counter, username, ip, since, until) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (counter, username, ip) DO UPDATE SET since = excluded.since, until = excluded.until`,
    ).run(block.counter, block.username ?? '', block.ip ?? '', block.since, block.until);
  })();
}

export function listThrottleBlocks(ctx: SqliteContext, query: { now: number; username?: string; ip?: string }): ThrottleBlock[] {
  const rows = ctx.sql(
    `SELECT * FROM throttle_blocks WHERE until > ? AND (? IS NULL OR username = ?) AND (? IS NULL OR ip = ?)
     ORDER BY since DESC, counter, username, ip LIMIT 1000`,
  ).all(query.now, query.username ?? null, query.username ?? null, query.ip ?? null, query.ip ?? null) as Row[];
  return rows.map(toThrottleBlock);
}

export function deleteThrottleBlocks(ctx: SqliteContext, subject: { username: string } | { ip: string }): number {
  return 'username' in subject
    ? ctx.sql("DELETE FROM throttle_blocks WHERE username = ? AND username <> ''").run(subject.username).changes
    : ctx.sql("DELETE FROM throttle_blocks WHERE ip = ? AND ip <> ''").run(subject.ip).changes;
}

/** Seconds an ended throttle block is kept before a later block clears it away. */
const FORGET_BLOCKS_AFTER = 86_400;
