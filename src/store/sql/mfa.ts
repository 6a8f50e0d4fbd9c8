import type { MfaChallenge, MfaFactor } from '../../core/model.ts';
import type { MfaStore } from '../store.ts';
import type { Row } from '../rows.ts';
import type { Driver } from './driver.ts';
import { one, run } from './operation.ts';
import { sql } from './statement.ts';

const FACTOR = sql(
  `SELECT f.*, (SELECT count(*) FROM mfa_recovery_codes c WHERE c.username = f.username AND c.used_at IS NULL) AS codes_left
   FROM mfa_factors f WHERE f.username = :username`,
);
// An enrolment replaces an unconfirmed one; a confirmed factor only when the caller says so (an administrator's).
const UPSERT_FACTOR = sql(
  `INSERT INTO mfa_factors (username, secret_sealed, created_at, confirmed_at, last_step)
   VALUES (:username, :secretSealed, :createdAt, :confirmedAt, 0)
   ON CONFLICT (username) DO UPDATE SET secret_sealed = excluded.secret_sealed, created_at = excluded.created_at,
     confirmed_at = excluded.confirmed_at, last_step = 0
   WHERE mfa_factors.confirmed_at IS NULL OR :replaceConfirmed::boolean
   RETURNING username`,
);
const CLEAR_CODES = sql('DELETE FROM mfa_recovery_codes WHERE username = :username');
const ADD_CODE = sql('INSERT INTO mfa_recovery_codes (username, code_hash) VALUES (:username, :codeHash)');
// The replay guard: only a later time step than the last accepted one wins, atomically; the first
// accepted code also confirms an enrolment.
const USE_STEP = sql(
  `UPDATE mfa_factors SET last_step = :step, confirmed_at = coalesce(confirmed_at, :now)
   WHERE username = :username AND last_step < :step RETURNING username`,
);
const SPEND_CODE = sql(
  `UPDATE mfa_recovery_codes SET used_at = :now
   WHERE username = :username AND code_hash = :codeHash AND used_at IS NULL
     AND EXISTS (SELECT 1 FROM mfa_factors f WHERE f.username = :username AND f.confirmed_at IS NOT NULL)
   RETURNING code_hash`,
);
const DELETE_FACTOR = sql('DELETE FROM mfa_factors WHERE username = :username');

const INSERT_CHALLENGE = sql(
  `INSERT INTO mfa_challenges (hash, client_id, username, scope, created_at, expires_at)
   VALUES (:hash, :clientId, :username, :scope, :createdAt, :expiresAt)`,
);
const PURGE_CHALLENGES = sql('DELETE FROM mfa_challenges WHERE expires_at <= :now');
const CHALLENGE = sql('SELECT * FROM mfa_challenges WHERE hash = :hash');
// An attempt is counted before the code is checked, so that parallel guesses cannot pass the bound together.
const COUNT_ATTEMPT = sql(
  `UPDATE mfa_challenges SET attempts = attempts + 1
   WHERE hash = :hash AND used_at IS NULL AND expires_at > :now AND attempts < :max
   RETURNING attempts`,
);
const DELETE_CHALLENGES_OF = sql('DELETE FROM mfa_challenges WHERE username = :username');
const CONSUME = sql('UPDATE mfa_challenges SET used_at = :now WHERE hash = :hash AND used_at IS NULL AND expires_at > :now RETURNING hash');

function toFactor(row: Row): MfaFactor {
  return {
    username: row.username as string,
    secretSealed: row.secret_sealed as string,
    createdAt: Number(row.created_at),
    confirmedAt: row.confirmed_at === null ? null : Number(row.confirmed_at),
    lastStep: Number(row.last_step),
    recoveryCodesLeft: Number(row.codes_left),
  };
}

function toChallenge(row: Row): MfaChallenge {
  return {
    hash: row.hash as string,
    clientId: row.client_id as string,
    username: row.username as string,
    scope: typeof row.scope === 'string' && row.scope !== '' ? row.scope.split(' ') : [],
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    attempts: Number(row.attempts),
    usedAt: row.used_at === null ? null : Number(row.used_at),
  };
}

export function mfaStore(db: Driver): MfaStore {
  return {
    findMfaFactor: (username) => db.one(FACTOR, { username }, toFactor),
    saveMfaFactor: (enrolment) =>
      db.atomic(function* () {
        const saved = yield* one(UPSERT_FACTOR, {
          username: enrolment.username,
          secretSealed: enrolment.secretSealed,
          createdAt: enrolment.createdAt,
          confirmedAt: enrolment.confirmedAt,
          replaceConfirmed: enrolment.replaceConfirmed,
        });
        if (!saved) return false;
        yield* run(CLEAR_CODES, { username: enrolment.username });
        for (const codeHash of enrolment.recoveryCodeHashes) yield* run(ADD_CODE, { username: enrolment.username, codeHash });
        return true;
      }),
    useTotpStep: async (username, step, now) => (await db.run(USE_STEP, { username, step, now })) === 1,
    spendRecoveryCode: async (username, codeHash, now) => (await db.run(SPEND_CODE, { username, codeHash, now })) === 1,
    deleteMfaFactor: async (username) => (await db.run(DELETE_FACTOR, { username })) > 0,
    saveMfaChallenge: (challenge) =>
      db.atomic(function* () {
        // Expired challenges are removed here, when a new one is made, rather than by a timer every instance would run.
        yield* run(PURGE_CHALLENGES, { now: challenge.createdAt });
        yield* run(INSERT_CHALLENGE, { ...challenge, scope: challenge.scope.join(' ') });
      }),
    findMfaChallenge: (hash) => db.one(CHALLENGE, { hash }, toChallenge),
    countMfaAttempt: async (hash, now, max) => (await db.one(COUNT_ATTEMPT, { hash, now, max }, (row) => Number(row.attempts))) !== undefined,
    consumeMfaChallenge: async (hash, now) => (await db.run(CONSUME, { hash, now })) === 1,
    deleteMfaChallengesOf: (username) => db.run(DELETE_CHALLENGES_OF, { username }),
  };
}
