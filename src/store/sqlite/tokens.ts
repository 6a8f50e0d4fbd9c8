import type { TokenFamily, TokenRecord, TokenView } from '../../core/model.ts';
import type { RotateOutcome, RotateRequest, TokenFilter } from '../store.ts';
import { type Row, toFamily, toTokenView } from '../rows.ts';
import type { SqliteContext } from './context.ts';
import { tokenStateSql } from './token-state.ts';

const TOKEN_SELECT = `
  SELECT t.*, f.revoked_at AS family_revoked_at, c.enabled AS client_enabled,
         CASE WHEN t.username IS NULL THEN NULL ELSE coalesce(u.enabled, 0) END AS user_enabled
  FROM tokens t
  JOIN token_families f ON f.id = t.family_id
  JOIN clients c ON c.id = t.client_id
  LEFT JOIN users u ON u.username = t.username`;

function tokenParams(token: TokenRecord): Row {
  return {
    hash: token.hash,
    kind: token.kind,
    family_id: token.familyId,
    client_id: token.clientId,
    username: token.username,
    scope: token.scope.join(' '),
    issued_at: token.issuedAt,
    expires_at: token.expiresAt,
  };
}

function insertToken(ctx: SqliteContext, token: TokenRecord): void {
  ctx.sql(
    `INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at)
     VALUES (@hash, @kind, @family_id, @client_id, @username, @scope, @issued_at, @expires_at)`,
  ).run(tokenParams(token));
}

export function saveFamily(ctx: SqliteContext, family: TokenFamily, tokens: TokenRecord[]): void {
  ctx.sql(
    'INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES (?, ?, ?, ?, 0, ?)',
  ).run(family.id, family.clientId, family.username, family.scope.join(' '), family.createdAt);
  for (const token of tokens) insertToken(ctx, token);
}

export function findToken(ctx: SqliteContext, hash: string): TokenView | undefined {
  const row = ctx.sql(`${TOKEN_SELECT} WHERE t.hash = ?`).get(hash) as Row | undefined;
  return row && toTokenView(row);
}

export function findFamily(ctx: SqliteContext, id: string): TokenFamily | undefined {
  const row = ctx.sql('SELECT * FROM token_families WHERE id = ?').get(id) as Row | undefined;
  return row && toFamily(row);
}

/**
 * One rotation, run as one write of the group commit: the LimitReached it throws rolls back
 * the claim with the rest of the write (see GroupCommit).
 */
export function rotateRefreshToken(ctx: SqliteContext, request: RotateRequest): RotateOutcome {
  const replacement = request.newTokens.find((token) => token.kind === 'refresh')?.hash ?? null;
  const params = { now: request.now, hash: request.presentedHash, replacement };
  let claimed = ctx.sql(
    `UPDATE tokens SET rotated_at = @now, replaced_by = @replacement
     WHERE hash = @hash AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
       AND (expires_at IS NULL OR expires_at > @now)
     RETURNING family_id`,
  ).get(params) as Row | undefined;
  if (!claimed && request.reuseLeewaySeconds) {
    // Within the leeway, the presented token may stand in for its direct replacement, and only
    // while that replacement is itself unused: one step back, never more.
    claimed = ctx.sql(
      `UPDATE tokens SET rotated_at = @now, replaced_by = @replacement
       WHERE hash = (SELECT replaced_by FROM tokens
                     WHERE hash = @hash AND kind = 'refresh' AND revoked_at IS NULL
                       AND rotated_at IS NOT NULL AND rotated_at >= @now - @leeway)
         AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
         AND (expires_at IS NULL OR expires_at > @now)
       RETURNING family_id`,
    ).get({ ...params, leeway: request.reuseLeewaySeconds }) as Row | undefined;
  }
  if (!claimed) {
    const row = ctx.sql('SELECT rotated_at FROM tokens WHERE hash = ?').get(request.presentedHash) as Row | undefined;
    return row && row.rotated_at !== null ? 'already_rotated' : 'not_live';
  }
  const counted = ctx.sql(
    `UPDATE token_families SET refresh_count = refresh_count + 1
     WHERE id = @id AND revoked_at IS NULL AND (@limit IS NULL OR refresh_count < @limit)
     RETURNING id`,
  ).get({ id: claimed.family_id, limit: request.refreshLimit });
  if (!counted) {
    // Undo the claim: the token stays as it was, and no refresh is counted.
    throw new LimitReached();
  }
  for (const token of request.newTokens) insertToken(ctx, { ...token, familyId: claimed.family_id as string });
  return 'rotated';
}

export function revokeFamily(ctx: SqliteContext, familyId: string, now: number): boolean {
  return ctx.sql('UPDATE token_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, familyId).changes > 0;
}

export function revokeFamiliesOf(ctx: SqliteContext, owner: { username: string } | { clientId: string }, now: number): number {
  const [column, value] = 'username' in owner ? ['username', owner.username] : ['client_id', owner.clientId];
  return ctx.sql(`UPDATE token_families SET revoked_at = ? WHERE ${column} = ? AND revoked_at IS NULL`).run(now, value).changes;
}

export function listTokens(ctx: SqliteContext, filter: TokenFilter, now: number): TokenView[] {
  const where: string[] = [];
  const params: Row = { now, limit: filter.limit ?? 100 };
  if (filter.clientId !== undefined) {
    where.push('t.client_id = @clientId');
    params.clientId = filter.clientId;
  }
  if (filter.username !== undefined) {
    where.push('t.username = @username');
    params.username = filter.username;
  }
  if (filter.state !== undefined) {
    where.push(`${tokenStateSql} = @state`);
    params.state = filter.state;
  }
  const sql = `${TOKEN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.issued_at DESC, t.hash LIMIT @limit`;
  return (ctx.db.prepare(sql).all(params) as Row[]).map(toTokenView);
}

export function purgeExpired(ctx: SqliteContext, now: number, batchSize: number): number {
  return ctx.db.transaction(() => {
    const deleted = ctx.sql(
      // Three index-driven lookups (expiry, revoked token, revoked family), not one scan of all tokens.
      `DELETE FROM tokens WHERE hash IN (
         SELECT DISTINCT hash FROM (
           SELECT hash FROM tokens WHERE expires_at <= @now
           UNION ALL SELECT hash FROM tokens WHERE revoked_at IS NOT NULL
           UNION ALL SELECT t.hash FROM token_families f JOIN tokens t ON t.family_id = f.id WHERE f.revoked_at IS NOT NULL)
         LIMIT @batch)
       RETURNING family_id`,
    ).all({ now, batch: batchSize }) as Row[];
    // Only the families this batch touched can have been emptied: no scan of all of them.
    const dropEmpty = ctx.sql('DELETE FROM token_families WHERE id = ? AND NOT EXISTS (SELECT 1 FROM tokens WHERE family_id = ?)');
    for (const familyId of new Set(deleted.map((row) => row.family_id as string))) dropEmpty.run(familyId, familyId);
    return deleted.length;
  })();
}

export class LimitReached extends Error {}
