-- A client credentials grant has no refresh token and no user, so it needs no token family
-- (docs/tokens.md): its access token is stored alone, with family_id NULL, and revoked by itself.
-- Neither dialect drops a NOT NULL the same way, so the table is rebuilt with the same columns.
-- tokens_family leaves the lone tokens out; tokens_client_alone finds a client's lone tokens when
-- an operator revokes the client's grants or deletes the client.
CREATE TABLE tokens_0018 (
  hash        TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
  family_id   TEXT REFERENCES token_families (id) ON DELETE CASCADE,
  client_id   TEXT NOT NULL,
  username    TEXT,
  scope       TEXT NOT NULL,
  issued_at   BIGINT NOT NULL,
  expires_at  BIGINT,
  revoked_at  BIGINT,
  rotated_at  BIGINT,
  replaced_by TEXT
) WITHOUT ROWID;
INSERT INTO tokens_0018 (hash, kind, family_id, client_id, username, scope, issued_at, expires_at, revoked_at, rotated_at, replaced_by)
  SELECT hash, kind, family_id, client_id, username, scope, issued_at, expires_at, revoked_at, rotated_at, replaced_by FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_0018 RENAME TO tokens;
CREATE INDEX tokens_family ON tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX tokens_revoked ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX tokens_client_alone ON tokens (client_id) WHERE family_id IS NULL;
