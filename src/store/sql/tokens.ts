import type { TokenFamily, TokenRecord } from '../../core/model.ts';
import type { RotateOutcome, RotateRequest, TokenStore } from '../store.ts';
import { toFamily, toTokenView } from '../rows.ts';
import type { Driver } from './driver.ts';
import { all, one, type Operation, Rollback, run } from './operation.ts';
import { type Dialect, multiInsert, sql, sqlByDialect } from './statement.ts';

const TOKEN_SELECT = `
  SELECT t.*, f.revoked_at AS family_revoked_at, f.auth_time AS family_auth_time, f.amr AS family_amr, c.enabled AS client_enabled,
         CASE WHEN t.username IS NULL THEN NULL ELSE coalesce(u.enabled, FALSE) END AS user_enabled
  FROM tokens t
  LEFT JOIN token_families f ON f.id = t.family_id
  JOIN clients c ON c.id = t.client_id
  LEFT JOIN users u ON u.username = t.username`;

/** The SQL twin of `tokenState()` in core/token-state.ts, for filtering lists by state. */
const TOKEN_STATE = `(CASE
  WHEN t.revoked_at IS NOT NULL OR f.revoked_at IS NOT NULL THEN 'revoked'
  WHEN t.rotated_at IS NOT NULL THEN 'rotated'
  WHEN t.expires_at IS NOT NULL AND t.expires_at <= :now::bigint THEN 'expired'
  ELSE 'active' END)`;

/** Read by introspection and the gateway on every request (the SQLite store serves it from its cache). */
export const TOKEN_BY_HASH = sql(`${TOKEN_SELECT} WHERE t.hash = :hash`);
const LIST_TOKENS = sql(
  `${TOKEN_SELECT}
   WHERE (:clientId::text IS NULL OR t.client_id = :clientId) AND (:username::text IS NULL OR t.username = :username)
     AND (:state::text IS NULL OR ${TOKEN_STATE} = :state)
   ORDER BY t.issued_at DESC, t.hash LIMIT :limit`,
);
const FAMILY_BY_ID = sql('SELECT * FROM token_families WHERE id = :id');
const INSERT_FAMILY = sql(
  `INSERT INTO token_families (id, client_id, username, scope, refresh_count, created_at, auth_time, amr)
   VALUES (:id, :clientId, :username, :scope, 0, :createdAt, :authTime, :amr)`,
);
/** The refresh token a rotation claims: the one presented. */
const PRESENTED = ':hash';
/**
 * Or, within the leeway, the one that replaced it, while that one is unused (rotate() below): one
 * step back, never more.
 */
const ITS_REPLACEMENT = `(SELECT replaced_by FROM tokens
  WHERE hash = :hash AND kind = 'refresh' AND revoked_at IS NULL
    AND rotated_at IS NOT NULL AND rotated_at >= :now::bigint - :leeway::bigint)`;

/** Marks the claimed refresh token rotated; locks its row (PostgreSQL; SQLite has one writer). */
const claimUpdate = (claimed: string) => `UPDATE tokens SET rotated_at = :now, replaced_by = :replacement
   WHERE hash = ${claimed} AND kind = 'refresh' AND rotated_at IS NULL AND revoked_at IS NULL
     AND (expires_at IS NULL OR expires_at > :now)
   RETURNING family_id`;
const CLAIM = sql(claimUpdate(PRESENTED));
const CLAIM_REPLACEMENT = sql(claimUpdate(ITS_REPLACEMENT));
const ROTATED_AT = sql('SELECT rotated_at FROM tokens WHERE hash = :hash');
const countRefresh = (family: string) => `UPDATE token_families SET refresh_count = refresh_count + 1
   WHERE id = ${family} AND revoked_at IS NULL AND (:limit::integer IS NULL OR refresh_count < :limit::integer)
   RETURNING id`;
const COUNT_REFRESH = sql(countRefresh(':id'));

/**
 * PostgreSQL: the claim, the count and the new tokens (as arrays, one element per token) in one
 * statement, one round trip, where three statements cost three, each waiting for the one before.
 * The count waits for the claim's family and the tokens for the count, so that each step runs only
 * if the one before it matched, in the same order and under the same row locks as the three
 * statements. No row: nothing claimed; `counted` null: claimed, but the family is revoked or at its
 * limit (rotate() rolls the claim back). SQLite runs the three statements, in-process.
 */
const claimCountAndInsert = (claimed: string) =>
  sql(`WITH claimed AS (${claimUpdate(claimed)}),
   counted AS (${countRefresh('(SELECT family_id FROM claimed)')}),
   inserted AS (
     INSERT INTO tokens (hash, kind, family_id, client_id, username, scope, issued_at, expires_at)
     SELECT t.hash, t.kind, counted.id, t.client_id, t.username, t.scope, t.issued_at, t.expires_at
     FROM counted, unnest(:hashes::bytea[], :kinds::text[], :clientIds::text[], :usernames::text[], :scopes::text[], :issuedAts::bigint[], :expiresAts::bigint[])
       AS t (hash, kind, client_id, username, scope, issued_at, expires_at))
   SELECT claimed.family_id, (SELECT id FROM counted) AS counted FROM claimed`);
const ROTATE = claimCountAndInsert(PRESENTED);
const ROTATE_REPLACEMENT = claimCountAndInsert(ITS_REPLACEMENT);
const REVOKE_FAMILY = sql('UPDATE token_families SET revoked_at = :now WHERE id = :id AND revoked_at IS NULL');
const REVOKE_LONE_TOKEN = sql('UPDATE tokens SET revoked_at = :now WHERE hash = :hash AND family_id IS NULL AND revoked_at IS NULL');
const REVOKE_CLIENT_LONE_TOKENS = sql('UPDATE tokens SET revoked_at = :now WHERE client_id = :clientId AND family_id IS NULL AND revoked_at IS NULL');
const REVOKE_USER_FAMILIES = sql('UPDATE token_families SET revoked_at = :now WHERE username = :username AND revoked_at IS NULL');
const REVOKE_CLIENT_FAMILIES = sql('UPDATE token_families SET revoked_at = :now WHERE client_id = :clientId AND revoked_at IS NULL');
const REVOKE_USER_CLIENT_FAMILIES = sql(
  'UPDATE token_families SET revoked_at = :now WHERE username = :username AND client_id = :clientId AND revoked_at IS NULL',
);

// PostgreSQL takes the batch with SKIP LOCKED, so that instances purging at once share the work
// instead of queueing (SQLite has one writer anyway). Either way the candidates come from three
// index-driven lookups (expiry, revoked token, revoked family), not from one scan of all tokens.
const PURGE_TOKENS = sqlByDialect({
  sqlite: `DELETE FROM tokens WHERE hash IN (
             SELECT DISTINCT hash FROM (
               SELECT hash FROM tokens WHERE expires_at <= :now
               UNION ALL SELECT hash FROM tokens WHERE revoked_at IS NOT NULL
               UNION ALL SELECT t.hash FROM token_families f JOIN tokens t ON t.family_id = f.id WHERE f.revoked_at IS NOT NULL)
             LIMIT :batch)
           RETURNING family_id`,
  postgres: `WITH candidates AS (
               (SELECT hash FROM tokens WHERE expires_at <= :now LIMIT :batch)
               UNION (SELECT hash FROM tokens WHERE revoked_at IS NOT NULL LIMIT :batch)
               UNION (SELECT t.hash FROM token_families f JOIN tokens t ON t.family_id = f.id WHERE f.revoked_at IS NOT NULL LIMIT :batch)
             ), doomed AS (
               SELECT hash FROM tokens WHERE hash IN (SELECT hash FROM candidates) LIMIT :batch FOR UPDATE SKIP LOCKED)
             DELETE FROM tokens WHERE hash IN (SELECT hash FROM doomed)
             RETURNING family_id`,
});
// The families of the purged tokens, as a JSON array: each dialect has its own function to read one.
const DROP_EMPTY_FAMILIES = sqlByDialect({
  sqlite: `DELETE FROM token_families WHERE id IN (SELECT value FROM json_each(:families))
             AND NOT EXISTS (SELECT 1 FROM tokens WHERE family_id = token_families.id)`,
  postgres: `DELETE FROM token_families WHERE id IN (SELECT json_array_elements_text(:families::json))
               AND NOT EXISTS (SELECT 1 FROM tokens WHERE family_id = token_families.id)`,
});

/**
 * A token's key as stored (migration 0014): the 32 bytes of its SHA-256, given in base64url
 * (`hashSecret` in core/secrets.ts). `undefined` for anything else, which names no token: a value
 * typed into the admin API or the CLI, or another spelling of the same bytes.
 */
export function lookupKey(hash: string): Buffer | undefined {
  const key = Buffer.from(hash, 'base64url');
  return key.length === 32 && key.toString('base64url') === hash ? key : undefined;
}

/** The key of a token being stored: never a short or mangled one. */
function tokenKey(hash: string): Buffer {
  const key = lookupKey(hash);
  if (!key) throw new TypeError('a token hash is a SHA-256 in base64url');
  return key;
}

const insertTokens = multiInsert('tokens', ['hash', 'kind', 'family_id', 'client_id', 'username', 'scope', 'issued_at', 'expires_at']);

function* insert(tokens: TokenRecord[], familyId?: string): Operation<void> {
  if (tokens.length === 0) return;
  const rows = tokens.map((t) => [tokenKey(t.hash), t.kind, familyId ?? t.familyId, t.clientId, t.username, t.scope.join(' '), t.issuedAt, t.expiresAt]);
  yield* run(...insertTokens(rows));
}

/** Starts a token family with its first tokens (part of a larger operation: a code's redemption too). */
export function* saveFamily(family: TokenFamily, tokens: TokenRecord[]): Operation<void> {
  const authentication = family.authentication ?? null;
  yield* run(INSERT_FAMILY, {
    id: family.id,
    clientId: family.clientId,
    username: family.username,
    scope: family.scope.join(' '),
    createdAt: family.createdAt,
    authTime: authentication?.authTime ?? null,
    amr: authentication === null ? null : authentication.amr.join(' '),
  });
  yield* insert(tokens);
}

type RotateParams = { now: number; hash: Buffer; replacement: Buffer | null; leeway: number; limit: number | null };

/**
 * Claims the presented refresh token (or, with `replacement`, the one that replaced it), counts the
 * refresh on its family and stores the new tokens in that family. `undefined`: nothing claimed;
 * `false`: claimed, but not counted (nothing inserted; the caller rolls the claim back).
 */
function* claimAndReplace(dialect: Dialect, params: RotateParams, tokens: TokenRecord[], replacement: boolean): Operation<boolean | undefined> {
  if (dialect === 'postgres') {
    const row = yield* one(replacement ? ROTATE_REPLACEMENT : ROTATE, { ...params, ...tokenArrays(tokens) });
    return row && row.counted !== null;
  }
  const claimed = yield* one(replacement ? CLAIM_REPLACEMENT : CLAIM, params);
  if (!claimed) return undefined;
  const familyId = claimed.family_id as string;
  if (!(yield* one(COUNT_REFRESH, { id: familyId, limit: params.limit }))) return false;
  yield* insert(tokens, familyId);
  return true;
}

/** The new tokens as ROTATE's arrays (their family is the claimed token's). */
function tokenArrays(tokens: TokenRecord[]): Record<string, unknown[]> {
  return {
    hashes: tokens.map((t) => tokenKey(t.hash)),
    kinds: tokens.map((t) => t.kind),
    clientIds: tokens.map((t) => t.clientId),
    usernames: tokens.map((t) => t.username),
    scopes: tokens.map((t) => t.scope.join(' ')),
    issuedAts: tokens.map((t) => t.issuedAt),
    expiresAts: tokens.map((t) => t.expiresAt),
  };
}

function* rotate(dialect: Dialect, request: RotateRequest): Operation<RotateOutcome> {
  const presented = lookupKey(request.presentedHash);
  if (!presented) return 'not_live';
  const replacement = request.newTokens.find((token) => token.kind === 'refresh')?.hash;
  const params = {
    now: request.now,
    hash: presented,
    replacement: replacement === undefined ? null : tokenKey(replacement),
    leeway: request.reuseLeewaySeconds ?? 0,
    limit: request.refreshLimit,
  };
  // The claim locks the row (PostgreSQL; SQLite has one writer): a racing rotation waits here,
  // then finds rotated_at set and claims nothing. If this one rolls back, the waiter claims it.
  let counted = yield* claimAndReplace(dialect, params, request.newTokens, false);
  if (counted === undefined && request.reuseLeewaySeconds) {
    // Within the leeway, the presented token may stand in for its direct replacement, and only
    // while that replacement is itself unused: one step back, never more. The claim on the
    // replacement locks its row just as above, so racers still have one winner.
    counted = yield* claimAndReplace(dialect, params, request.newTokens, true);
  }
  if (counted === undefined) {
    // A statement of its own, so a snapshot of its own (PostgreSQL, READ COMMITTED): it sees the
    // rotation that a racing claim waited for and lost to, which is reuse.
    const row = yield* one(ROTATED_AT, params);
    return row && row.rotated_at !== null ? 'already_rotated' : 'not_live';
  }
  // Undo the claim: the token stays as it was, and no refresh is counted.
  if (!counted) throw new Rollback<RotateOutcome>('limit_reached');
  return 'rotated';
}

/** Every live grant of a client: its families, and its lone (client credentials) tokens. */
function* revokeClientGrants(clientId: string, now: number): Operation<number> {
  return (yield* run(REVOKE_CLIENT_FAMILIES, { clientId, now })) + (yield* run(REVOKE_CLIENT_LONE_TOKENS, { clientId, now }));
}

function* purge(now: number, batch: number): Operation<number> {
  const deleted = yield* all(PURGE_TOKENS, { now, batch });
  // Only the families this batch touched can have been emptied: no scan of all of them.
  const families = [...new Set(deleted.map((row) => row.family_id as string | null))].filter((id) => id !== null);
  if (families.length > 0) yield* run(DROP_EMPTY_FAMILIES, { families: JSON.stringify(families) });
  return deleted.length;
}

export function tokenStore(db: Driver): TokenStore {
  return {
    saveFamily: (family, tokens) => db.hot.atomic(() => saveFamily(family, tokens)),
    saveLoneToken: (token) => db.hot.atomic(() => insert([{ ...token, familyId: null }])),
    findToken: async (hash) => {
      const key = lookupKey(hash);
      return key && db.one(TOKEN_BY_HASH, { hash: key }, toTokenView);
    },
    findFamily: (id) => db.one(FAMILY_BY_ID, { id }, toFamily),
    rotateRefreshToken: (request) => db.hot.atomic(() => rotate(db.dialect, request)),
    revokeFamily: async (id, now) => (await db.run(REVOKE_FAMILY, { id, now })) > 0,
    revokeGrant: async (token, now) =>
      (token.familyId === null ? await db.run(REVOKE_LONE_TOKEN, { hash: tokenKey(token.hash), now }) : await db.run(REVOKE_FAMILY, { id: token.familyId, now })) > 0,
    revokeFamiliesOf: (owner, now) => {
      if (!('username' in owner)) return db.atomic(() => revokeClientGrants(owner.clientId, now));
      if (owner.clientId === undefined) return db.run(REVOKE_USER_FAMILIES, { username: owner.username, now });
      return db.run(REVOKE_USER_CLIENT_FAMILIES, { username: owner.username, clientId: owner.clientId, now });
    },
    listTokens: (filter, now) =>
      db.all(
        LIST_TOKENS,
        { now, clientId: filter.clientId ?? null, username: filter.username ?? null, state: filter.state ?? null, limit: filter.limit ?? 100 },
        toTokenView,
      ),
    purgeExpired: (now, batchSize) => db.atomic(() => purge(now, batchSize)),
  };
}
