-- Ids only grow, so paging backwards by id is paging back in time.
CREATE TABLE audit_log (
  id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at        BIGINT NOT NULL,
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
