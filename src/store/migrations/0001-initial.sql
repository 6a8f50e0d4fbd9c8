-- Times are seconds since the epoch; lists are space-separated TEXT.
CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE groups (
  name TEXT PRIMARY KEY
);

CREATE TABLE users (
  username      TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  enabled       BOOLEAN NOT NULL DEFAULT TRUE,
  created_at    BIGINT NOT NULL
);

CREATE TABLE user_groups (
  username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  group_name TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
  PRIMARY KEY (username, group_name)
);

CREATE TABLE scopes (
  name        TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  resources   TEXT NOT NULL DEFAULT '[]'
);

CREATE TABLE clients (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  version       TEXT NOT NULL DEFAULT '',
  description   TEXT NOT NULL DEFAULT '',
  type          TEXT NOT NULL CHECK (type IN ('confidential', 'public')),
  secret_hash   TEXT,
  grants        TEXT NOT NULL,
  access_ttl    TEXT NOT NULL DEFAULT 'global',
  refresh_limit INTEGER,
  refresh_ttl   INTEGER NOT NULL,
  enabled       BOOLEAN NOT NULL DEFAULT TRUE,
  introspect    BOOLEAN NOT NULL DEFAULT FALSE,
  service_user  TEXT,
  created_at    BIGINT NOT NULL,
  CONSTRAINT clients_name_version UNIQUE (name, version)
);

CREATE TABLE client_scopes (
  client_id  TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  scope_name TEXT NOT NULL REFERENCES scopes (name) ON DELETE CASCADE,
  PRIMARY KEY (client_id, scope_name)
);

CREATE TABLE token_families (
  id            TEXT PRIMARY KEY,
  client_id     TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
  username      TEXT,
  scope         TEXT NOT NULL,
  refresh_count INTEGER NOT NULL DEFAULT 0,
  created_at    BIGINT NOT NULL,
  revoked_at    BIGINT
);
CREATE INDEX token_families_client ON token_families (client_id);
CREATE INDEX token_families_user ON token_families (username);

CREATE TABLE tokens (
  hash       TEXT PRIMARY KEY,
  kind       TEXT NOT NULL CHECK (kind IN ('access', 'refresh')),
  family_id  TEXT NOT NULL REFERENCES token_families (id) ON DELETE CASCADE,
  client_id  TEXT NOT NULL,
  username   TEXT,
  scope      TEXT NOT NULL,
  issued_at  BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT,
  rotated_at BIGINT
) WITHOUT ROWID;
CREATE INDEX tokens_family ON tokens (family_id);
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;
