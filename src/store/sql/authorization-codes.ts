import type { AuthorizationCode } from '../../core/model.ts';
import type { AuthorizationCodeStore, RedeemOutcome, RedeemRequest } from '../store.ts';
import { toAuthorizationCode } from '../rows.ts';
import type { Driver } from './driver.ts';
import { one, type Operation } from './operation.ts';
import { sql } from './statement.ts';
import { saveFamily } from './tokens.ts';

const INSERT = sql(
  `INSERT INTO authorization_codes (hash, client_id, username, redirect_uri, redirect_uri_given, scope, code_challenge, nonce,
                                    auth_time, amr, issued_at, expires_at)
   VALUES (:hash, :clientId, :username, :redirectUri, :redirectUriGiven::boolean, :scope, :codeChallenge, :nonce,
           :authTime, :amr, :issuedAt, :expiresAt)`,
);
const BY_HASH = sql('SELECT * FROM authorization_codes WHERE hash = :hash');
// The claim locks the row (PostgreSQL; SQLite has one writer): a racing redemption waits here,
// then finds used_at set and claims nothing.
const CLAIM = sql(
  `UPDATE authorization_codes SET used_at = :now, family_id = :familyId
   WHERE hash = :hash AND used_at IS NULL AND expires_at > :now
   RETURNING hash`,
);
const USED_AT = sql('SELECT used_at FROM authorization_codes WHERE hash = :hash');
const DELETE_OF_USER = sql('DELETE FROM authorization_codes WHERE username = :username');
const PURGE = sql(
  'DELETE FROM authorization_codes WHERE hash IN (SELECT hash FROM authorization_codes WHERE expires_at <= :before LIMIT :batch)',
);

function* redeem(request: RedeemRequest): Operation<RedeemOutcome> {
  const claimed = yield* one(CLAIM, { hash: request.hash, now: request.now, familyId: request.family.id });
  if (!claimed) {
    const row = yield* one(USED_AT, { hash: request.hash });
    return row && row.used_at !== null ? 'already_used' : 'not_live';
  }
  yield* saveFamily(request.family, request.tokens);
  return 'redeemed';
}

function codeRow(code: AuthorizationCode): Record<string, unknown> {
  return { ...code, scope: code.scope.join(' '), amr: code.amr.join(' ') };
}

export function authorizationCodeStore(db: Driver): AuthorizationCodeStore {
  return {
    saveAuthorizationCode: async (code) => {
      await db.hot.run(INSERT, codeRow(code));
    },
    findAuthorizationCode: (hash) => db.one(BY_HASH, { hash }, toAuthorizationCode),
    redeemAuthorizationCode: (request) => db.hot.atomic(() => redeem(request)),
    deleteAuthorizationCodesOf: (username) => db.run(DELETE_OF_USER, { username }),
    purgeAuthorizationCodes: (before, batch) => db.run(PURGE, { before, batch }),
  };
}
