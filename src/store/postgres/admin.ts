import type { AuditEvent, AuditRecord } from '../../core/audit.ts';
import { type AdminSession, DEFAULT_SETTINGS, type Settings, type ThrottleBlock } from '../../core/model.ts';
import type { AuditQuery } from '../store.ts';
import { toAdminSession, toAuditRecord, toThrottleBlock } from '../rows.ts';
import type { PostgresContext } from './context.ts';

export async function getSettings(ctx: PostgresContext): Promise<Settings> {
  const { rows } = await ctx.query('SELECT key, value FROM settings');
  const settings: Settings = { ...DEFAULT_SETTINGS };
  for (const row of rows) {
    const key = row.key as string;
    if (key in settings) (settings as unknown as Record<string, unknown>)[key] = JSON.parse(row.value as string);
  }
  return settings;
}

export async function updateSettings(ctx: PostgresContext, patch: Partial<Settings>): Promise<Settings> {
  await ctx.transaction(async (client) => {
    for (const [key, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      await client.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [
        key,
        JSON.stringify(value),
      ]);
    }
  });
  return getSettings(ctx);
}

export async function createAdminSession(ctx: PostgresContext, session: AdminSession): Promise<void> {
  await ctx.query('INSERT INTO admin_sessions (id_hash, username, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $5)', [
    session.idHash,
    session.username,
    session.createdAt,
    session.lastSeenAt,
    session.expiresAt,
  ]);
}

export async function findAdminSession(ctx: PostgresContext, idHash: string): Promise<AdminSession | undefined> {
  const row = (await ctx.query('SELECT * FROM admin_sessions WHERE id_hash = $1', [idHash])).rows[0];
  return row && toAdminSession(row);
}

export async function touchAdminSession(ctx: PostgresContext, idHash: string, lastSeenAt: number): Promise<void> {
  // GREATEST: a late request from another instance never moves the idle clock back.
  await ctx.query('UPDATE admin_sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE id_hash = $2', [lastSeenAt, idHash]);
}

export async function deleteAdminSession(ctx: PostgresContext, idHash: string): Promise<boolean> {
  return ((await ctx.query('DELETE FROM admin_sessions WHERE id_hash = $1', [idHash])).rowCount ?? 0) > 0;
}

export async function deleteAdminSessionsOf(ctx: PostgresContext, username: string): Promise<number> {
  return (await ctx.query('DELETE FROM admin_sessions WHERE username = $1', [username])).rowCount ?? 0;
}

export async function purgeAdminSessions(ctx: PostgresContext, now: number, idleBefore: number): Promise<number> {
  return (await ctx.query('DELETE FROM admin_sessions WHERE expires_at <= $1 OR last_seen_at < $2', [now, idleBefore])).rowCount ?? 0;
}

export async function appendAudit(ctx: PostgresContext, events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  // One statement for the whole batch: all the events are stored, or none.
  await ctx.query(
    `INSERT INTO audit_log (at, type, ip, client_id, username, reason, detail)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[])`,
    [
      events.map((event) => event.at),
      events.map((event) => event.type),
      events.map((event) => event.ip ?? null),
      events.map((event) => event.clientId ?? null),
      events.map((event) => event.username ?? null),
      events.map((event) => event.reason ?? null),
      events.map((event) => (event.detail === undefined ? null : JSON.stringify(event.detail))),
    ],
  );
}

export async function listAudit(ctx: PostgresContext, query: AuditQuery): Promise<AuditRecord[]> {
  const { rows } = await ctx.query('SELECT * FROM audit_log WHERE ($1::bigint IS NULL OR id < $1::bigint) ORDER BY id DESC LIMIT $2', [
    query.beforeId ?? null,
    query.limit,
  ]);
  return rows.map(toAuditRecord);
}

export async function recordThrottleBlock(ctx: PostgresContext, block: ThrottleBlock): Promise<void> {
  await ctx.query('DELETE FROM throttle_blocks WHERE until < $1', [block.since - FORGET_BLOCKS_AFTER]);
  await ctx.query(
    `INSERT INTO throttle_blocks (counter, username, ip, since, until) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (counter, username, ip) DO UPDATE SET since = excluded.since, until = excluded.until`,
    [block.counter, block.username ?? '', block.ip ?? '', block.since, block.until],
  );
}

export async function listThrottleBlocks(ctx: PostgresContext, query: { now: number; username?: string; ip?: string }): Promise<ThrottleBlock[]> {
  const { rows } = await ctx.query(
    `SELECT * FROM throttle_blocks WHERE until > $1 AND ($2::text IS NULL OR username = $2) AND ($3::text IS NULL OR ip = $3)
     ORDER BY since DESC, counter, username, ip LIMIT 1000`,
    [query.now, query.username ?? null, query.ip ?? null],
  );
  return rows.map(toThrottleBlock);
}

export async function deleteThrottleBlocks(ctx: PostgresContext, subject: { username: string } | { ip: string }): Promise<number> {
  const result =
    'username' in subject
      ? await ctx.query("DELETE FROM throttle_blocks WHERE username = $1 AND username <> ''", [subject.username])
      : await ctx.query("DELETE FROM throttle_blocks WHERE ip = $1 AND ip <> ''", [subject.ip]);
  return result.rowCount ?? 0;
}

/** Seconds an ended throttle block is kept before a later block clears it away. */
const FORGET_BLOCKS_AFTER = 86_400;
