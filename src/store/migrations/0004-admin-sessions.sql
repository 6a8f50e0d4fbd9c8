-- Admin console sessions. Only a SHA-256 of the session id is stored: a copy of the database
-- does not let anyone sign in. Any instance sharing the database can check any session.
CREATE TABLE admin_sessions (
  id_hash      TEXT PRIMARY KEY,
  username     TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  created_at   BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at   BIGINT NOT NULL
) WITHOUT ROWID;
CREATE INDEX admin_sessions_user ON admin_sessions (username);
CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);
