import type { TokenFamily, TokenRecord, TokenView } from '../../core/model.ts';
import type { RotateOutcome, RotateRequest, TokenFilter } from '../store.ts';
import { type Row, toFamily, toTokenView } from '../rows.ts';
import type { PostgresContext } from './context.ts';

const TOKEN_SELECT = `
  SELECT t.*, f.revoked_at AS family_revoked_at, c.enabled AS client_enabled,
         CASE WHEN t.username IS NULL THEN NULL ELSE coalesce(u.enabled, FALSE) END AS user_enabled
  FROM tokens t
  JOIN token_families f ON f.id = t.family_id
  JOIN clients c ON c.id = t.client_id
  LEFT JOIN users u ON u.username = t.username`;

/** The SQL twin of `tokenState()` in core/token-state.ts, with `now` as the given parameter. */
function tokenStateSql(now: string): string {
  return `(CASE
    WHEN t.revoked_at IS NOT NULL OR f.revoked_at IS NOT NULL THEN 'revoked'
    WHEN t.rotated_at IS NOT NULL THEN 'rotated'
    WHEN t.expires_at IS NOT NULL AND t.expires_at <= ${now}::bigint THEN 'expired'
    ELSE 'active' END)`;
}

const INSERT_TOKENS = `
  INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])`;

/** The new tokens as column arrays, stored with one statement whatever their number. */
function tokenColumns(tokens: TokenRecord[], familyId?: string): unknown[] {
  return [
    tokens.map((token) => token.hash),
    tokens.map((token) => token.kind),
    tokens.map((token) => familyId ?? token.familyId),
    tokens.map((token) => token.clientId),
    tokens.map((token) => token.username),
    tokens.map((token) => token.scope.join(' ')),
    tokens.map((token) => token.issuedAt),
    tokens.map((token) => token.expiresAt),
  ];
}

class Rollback extends Error {
  constructor(readonly outcome: RotateOutcome) {
    super(outcome);
  }
}

export async function saveFamily(ctx: PostgresContext, family: TokenFamily, tokens: TokenRecord[]): Promise<void> {
  await ctx.transaction(async (client) => {
    await client.query(
      'INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at) VALUES ($1, $2, $3, $4, 0, $5)',
      [family.id, family.clientId, family.username, family.scope.join(' '), family.createdAt],
    );
    if (tokens.length > 0) await client.query(INSERT_TOKENS, tokenColumns(tokens));
  });
}

export async function findToken(ctx: PostgresContext, hash: string): Promise<TokenView | undefined> {
  const row = (await ctx.query(`${TOKEN_SELECT} WHERE t.hash = $1`, [hash])).rows[0];
  return row && toTokenView(row);
}

export async function findFamily(ctx: PostgresContext, id: string): Promise<TokenFamily | undefined> {
  const row = (await ctx.query('SELECT * FROM token_families WHERE id = $1', [id])).rows[0];
  return row && toFamily(row);
}

export async function rotateRefreshToken(ctx: PostgresContext, request: RotateRequest): Promise<RotateOutcome> {
  const replacement = request.newTokens.find((token) => token.kind === 'refresh')?.hash ?? null;
  try {
    return await ctx.transaction(async (client): Promise<RotateOutcome> => {
      // The claim locks the row: a racing rotation waits here, then finds rotated_at set and
      // claims nothing. If this transaction rolls back, the waiter claims the token instead.
      let claimed = await client.query<Row>(
        `UPDATE tokens SET rotated_at = $1, replaced_by = $3
         WHERE hash = $2 AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
           AND (expires_at IS NULL OR expires_at > $1)
         RETURNING family_id`,
        [request.now, request.presentedHash, replacement],
      );
      if (claimed.rowCount === 0 && request.reuseLeewaySeconds) {
        // Within the leeway, the presented token may stand in for its direct replacement, and
        // only while that replacement is itself unused: one step back, never more. The claim
        // on the replacement locks its row just as above, so racers still have one winner.
        claimed = await client.query<Row>(
          `UPDATE tokens SET rotated_at = $1, replaced_by = $3
           WHERE hash = (SELECT replaced_by FROM tokens
                         WHERE hash = $2 AND kind = 'refresh' AND revoked_at IS NULL
                           AND rotated_at IS NOT NULL AND rotated_at >= $1::bigint - $4::bigint)
             AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
             AND (expires_at IS NULL OR expires_at > $1)
           RETURNING family_id`,
          [request.now, request.presentedHash, replacement, request.reuseLeewaySeconds],
        );
      }
      const familyId = claimed.rows[0]?.family_id as string | undefined;
      if (familyId === undefined) {
        const row = (await client.query<Row>('SELECT rotated_at FROM tokens WHERE hash = $1', [request.presentedHash])).rows[0];
        return row && row.rotated_at !== null ? 'already_rotated' : 'not_live';
      }
      const counted = await client.query(
        `UPDATE token_families SET refresh_count = refresh_count + 1
         WHERE id = $1 AND revoked_at IS NULL AND ($2::int IS NULL OR refresh_count < $2::int)
         RETURNING id`,
        [familyId, request.refreshLimit],
      );
      // Undo the claim: the token stays as it was, and no refresh is counted.
      if (counted.rowCount === 0) throw new Rollback('limit_reached');
      if (request.newTokens.length > 0) await client.query(INSERT_TOKENS, tokenColumns(request.newTokens, familyId));
      return 'rotated';
    });
  } catch (error) {
    if (error instanceof Rollback) return error.outcome;
    throw error;
  }
}

export async function revokeFamily(ctx: PostgresContext, familyId: string, now: number): Promise<boolean> {
  const result = await ctx.query('UPDATE token_families SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, familyId]);
  return (result.rowCount ?? 0) > 0;
}

export async function revokeFamiliesOf(ctx: PostgresContext, owner: { username: string } | { clientId: string }, now: number): Promise<number> {
  const [column, value] = 'username' in owner ? ['username', owner.username] : ['client_id', owner.clientId];
  const result = await ctx.query(`UPDATE token_families SET revoked_at = $1 WHERE ${column} = $2 AND revoked_at IS NULL`, [now, value]);
  return result.rowCount ?? 0;
}

export async function listTokens(ctx: PostgresContext, filter: TokenFilter, now: number): Promise<TokenView[]> {
  const values: unknown[] = [];
  const param = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  const where: string[] = [];
  if (filter.clientId !== undefined) where.push(`t.client_id = ${param(filter.clientId)}`);
  if (filter.username !== undefined) where.push(`t.username = ${param(filter.username)}`);
  if (filter.state !== undefined) where.push(`${tokenStateSql(param(now))} = ${param(filter.state)}`);
  const limit = param(filter.limit ?? 100);
  const sql = `${TOKEN_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY t.issued_at DESC, t.hash LIMIT ${limit}`;
  return (await ctx.query(sql, values)).rows.map(toTokenView);
}

export async function purgeExpired(ctx: PostgresContext, now: number, batchSize: number): Promise<number> {
  return ctx.transaction(async (client) => {
    // SKIP LOCKED: instances purging at once take disjoint batches instead of queueing, and
    // never wait on a row that a live request holds.
    const deleted = await client.query<Row>(
      // The candidates come from three index-driven lookups (expiry, revoked token, revoked
      // family), not from one scan of all tokens.
      `WITH candidates AS (
         (SELECT hash FROM tokens WHERE expires_at <= $1 LIMIT $2)
         UNION (SELECT hash FROM tokens WHERE revoked_at IS NOT NULL LIMIT $2)
         UNION (SELECT t.hash FROM token_families f JOIN tokens t ON t.family_id = f.id WHERE f.revoked_at IS NOT NULL LIMIT $2)
       ), doomed AS (
         SELECT hash FROM tokens WHERE hash IN (SELECT hash FROM candidates)
         LIMIT $2
         FOR UPDATE SKIP LOCKED)
       DELETE FROM tokens WHERE hash IN (SELECT hash FROM doomed)
       RETURNING family_id`,
      [now, batchSize],
    );
    const families = [...new Set(deleted.rows.map((row) => row.family_id as string))];
    if (families.length > 0) {
      await client.query(
        'DELETE FROM token_families f WHERE f.id = ANY($1::text[]) AND NOT EXISTS (SELECT 1 FROM tokens WHERE family_id = f.id)',
        [families],
      );
    }
    return deleted.rowCount ?? 0;
  });
}
