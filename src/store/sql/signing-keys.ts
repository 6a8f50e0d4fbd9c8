import type { SigningKeyStore } from '../store.ts';
import { toSigningKey } from '../rows.ts';
import type { Driver } from './driver.ts';
import { sql } from './statement.ts';

const ALL_KEYS = sql('SELECT * FROM signing_keys ORDER BY generation');
// The generation is unique: of two instances adding generation N+1 at once, one inserts and the
// other conflicts and inserts nothing (PostgreSQL makes the second wait for the first's commit).
// The WHERE makes it "the next after `expected`": a rotation decided on an old view adds nothing.
const ADD_KEY = sql(
  `INSERT INTO signing_keys (kid, generation, alg, public_jwk, private_sealed, created_at, activates_at, retain_previous)
   SELECT :kid, :generation::integer, :alg, :publicJwk, :privateSealed, :createdAt, :activatesAt, :retainPrevious
   WHERE (SELECT coalesce(max(generation), 0) FROM signing_keys) = :generation::integer - 1
   ON CONFLICT DO NOTHING
   RETURNING kid`,
);
const DELETE_KEY = sql('DELETE FROM signing_keys WHERE kid = :kid');

export function signingKeyStore(db: Driver): SigningKeyStore {
  return {
    listSigningKeys: () => db.all(ALL_KEYS, {}, toSigningKey),
    addSigningKey: async (key) =>
      (await db.one(ADD_KEY, { ...key, publicJwk: JSON.stringify(key.publicJwk) }, (row) => row.kid as string)) !== undefined,
    deleteSigningKey: async (kid) => (await db.run(DELETE_KEY, { kid })) > 0,
  };
}
