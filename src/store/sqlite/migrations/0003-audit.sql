CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY AUTOINCREMENT,
  at        INTEGER NOT NULL,
  type      TEXT NOT NULL,
  ip        TEXT,
  client_id TEXT,
  username  TEXT,
  reason    TEXT,
  detail    TEXT
);
CREATE INDEX audit_log_at ON audit_log (at);

-- The refresh token that replaced this one, so that a reuse leeway can tell the immediately
-- previous token from older ones.
ALTER TABLE tokens ADD COLUMN replaced_by TEXT;
