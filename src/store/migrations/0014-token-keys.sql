-- Token keys as the 32 bytes of their SHA-256 rather than its 43 base64url characters: a shorter key
-- in every row and in every page of the primary key that each grant writes and each introspection
-- reads, compared as bytes. Existing rows are converted, so that tokens issued before still introspect and refresh.
-- The table is built anew (SQLite cannot change a column's type), with the same indexes, each used
-- by a query: tokens_family by a family's cascade and the purge's family check, tokens_expires and
-- tokens_revoked by the purge.
-- The same rebuild lets a token stand without a family: a client credentials grant has no refresh
-- token and no user, so its access token is stored alone, with family_id NULL, and revoked by itself
-- (docs/tokens.md). tokens_family leaves those out; tokens_client_alone finds a client's lone tokens
-- when an operator revokes the client's grants or deletes the client.
CREATE TABLE tokens_new (
  hash        BYTEA PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
  family_id   TEXT REFERENCES token_families (id) ON DELETE CASCADE,
  client_id   TEXT NOT NULL,
  username    TEXT,
  scope       TEXT NOT NULL,
  issued_at   BIGINT NOT NULL,
  expires_at  BIGINT,
  revoked_at  BIGINT,
  rotated_at  BIGINT,
  replaced_by BYTEA
) WITHOUT ROWID;
INSERT INTO tokens_new (hash, kind, family_id, client_id, username, scope, issued_at, expires_at, revoked_at, rotated_at, replaced_by)
  SELECT decode(translate(hash, '-_', '+/') || '=', 'base64'), kind, family_id, client_id, username, scope, issued_at, expires_at, revoked_at, rotated_at, decode(translate(replaced_by, '-_', '+/') || '=', 'base64')
  FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_family ON tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX tokens_revoked ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX tokens_client_alone ON tokens (client_id) WHERE family_id IS NULL;
