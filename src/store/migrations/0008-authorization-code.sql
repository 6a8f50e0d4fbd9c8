-- The authorization code grant (docs/oauth.md "Authorization endpoint"): where a client may send the
-- user back, and whether the user is asked to approve it.
ALTER TABLE clients ADD COLUMN redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE clients ADD COLUMN consent TEXT NOT NULL DEFAULT 'remember' CHECK (consent IN ('always', 'remember', 'skip'));

-- Authorization codes, stored only as a SHA-256 of the code, with everything the code is bound to.
-- A code is spent by setting used_at (once, atomically); the family its redemption started is kept,
-- so that a replay revokes it. Codes of a deleted user or client go with them.
CREATE TABLE authorization_codes (
  hash               TEXT PRIMARY KEY,
  client_id          TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  username           TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  redirect_uri       TEXT NOT NULL,
  redirect_uri_given BOOLEAN NOT NULL,
  scope              TEXT NOT NULL,
  code_challenge     TEXT,
  nonce              TEXT,
  auth_time          BIGINT NOT NULL,
  amr                TEXT NOT NULL,
  issued_at          BIGINT NOT NULL,
  expires_at         BIGINT NOT NULL,
  used_at            BIGINT,
  family_id          TEXT
) WITHOUT ROWID;
CREATE INDEX authorization_codes_expires ON authorization_codes (expires_at);
CREATE INDEX authorization_codes_user ON authorization_codes (username);
CREATE INDEX authorization_codes_client ON authorization_codes (client_id);

-- Users' browser sessions at the authorization endpoint. As with admin sessions, only a SHA-256 of
-- the session id is stored, and every instance sharing the database sees every session.
CREATE TABLE login_sessions (
  id_hash      TEXT PRIMARY KEY,
  username     TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  auth_time    BIGINT NOT NULL,
  amr          TEXT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL,
  ip           TEXT
) WITHOUT ROWID;
CREATE INDEX login_sessions_user ON login_sessions (username);
CREATE INDEX login_sessions_expires ON login_sessions (expires_at);
CREATE INDEX login_sessions_last_seen ON login_sessions (last_seen_at);

-- What each user approved for each client (space-separated scopes), remembered.
CREATE TABLE consents (
  username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  scope      TEXT NOT NULL,
  granted_at BIGINT NOT NULL,
  PRIMARY KEY (username, client_id)
) WITHOUT ROWID;
CREATE INDEX consents_client ON consents (client_id);
