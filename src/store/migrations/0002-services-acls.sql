-- Methods are space-separated TEXT; templates, allow and deny lists are JSON TEXT (group names may
-- contain spaces).
CREATE TABLE services (
  name       TEXT PRIMARY KEY,
  upstream   TEXT NOT NULL,
  methods    TEXT NOT NULL DEFAULT '',
  templates  TEXT NOT NULL DEFAULT '[]',
  created_at BIGINT NOT NULL
);

CREATE TABLE acls (
  resource TEXT PRIMARY KEY,
  allow    TEXT NOT NULL DEFAULT '[]',
  deny     TEXT NOT NULL DEFAULT '[]'
);
