-- dialect: sqlite
-- Tokens stored in the order they are issued. Since 0014 the table was WITHOUT ROWID, its rows
-- kept in the order of their random SHA-256 keys: every new token landed on a random leaf page of
-- the whole table, and the entries of tokens_family and tokens_expires (which end with the key)
-- at a random place among their equals, so that a refresh dirtied 8.2-8.9 pages of the WAL. As a
-- rowid table the rows and those index entries are appended and only the key's own index takes a
-- random page: 4.8-4.9 pages per refresh, the store's work per refresh 144-149 -> 99-103 µs
-- (`node --import tsx bench/micro/sqlite-refresh.ts [--pages]`), an uncached lookup by key one
-- more b-tree step (~0.5 µs). PostgreSQL's tables are heaps with their primary key as an index
-- already. The table is built anew with the same columns, key and indexes, and 0016's triggers on
-- it (a dropped table takes its triggers along).
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
);
INSERT INTO tokens_new (hash, kind, family_id, client_id, username, scope, issued_at, expires_at, revoked_at, rotated_at, replaced_by)
  SELECT hash, kind, family_id, client_id, username, scope, issued_at, expires_at, revoked_at, rotated_at, replaced_by
  FROM tokens ORDER BY issued_at;
DROP TABLE tokens;
ALTER TABLE tokens_new RENAME TO tokens;
CREATE INDEX tokens_family ON tokens (family_id) WHERE family_id IS NOT NULL;
CREATE INDEX tokens_expires ON tokens (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX tokens_revoked ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX tokens_client_alone ON tokens (client_id) WHERE family_id IS NULL;
CREATE TRIGGER portcullis_cache_token_changed AFTER UPDATE ON tokens
  WHEN OLD.kind = 'access'
BEGIN INSERT INTO cache_changes (table_name, key) VALUES ('tokens', OLD.hash); END;
CREATE TRIGGER portcullis_cache_token_deleted AFTER DELETE ON tokens
  WHEN OLD.kind = 'access' AND OLD.revoked_at IS NULL
   AND (OLD.expires_at IS NULL OR OLD.expires_at > CAST(strftime('%s', 'now') AS INTEGER))
BEGIN INSERT INTO cache_changes (table_name, key) VALUES ('tokens', OLD.hash); END;
