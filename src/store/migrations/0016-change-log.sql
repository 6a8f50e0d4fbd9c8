-- dialect: sqlite
-- The read caches of every process on the file (sqlite/read-caches.ts) learn which entries
-- another connection's commit made wrong: these triggers append the table and, where it has one,
-- the row's key to cache_changes, inside the writing transaction (so at its commit, and only if
-- it commits), whoever writes: store methods, cascades, the CLI, another `serve` worker, plain
-- SQL. The list is migration 0015's (WATCHED_CHANGES narrowed to the rows a cache can hold), so
-- that what the hot paths write most (new tokens, refresh rotations, counters going on) logs
-- nothing. seq never goes back (AUTOINCREMENT); the log keeps its last 1000 rows, and a reader
-- that finds rows it missed trimmed away clears every cache instead. PostgreSQL notifies instead
-- (0015).
CREATE TABLE cache_changes (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  table_name TEXT NOT NULL,
  key        TEXT
);

CREATE TRIGGER cache_changes_trim AFTER INSERT ON cache_changes
BEGIN DELETE FROM cache_changes WHERE seq <= NEW.seq - 1000; END;

CREATE TRIGGER portcullis_cache_client_added AFTER INSERT ON clients
BEGIN INSERT INTO cache_changes (table_name) VALUES ('clients'); END;
CREATE TRIGGER portcullis_cache_client_changed AFTER UPDATE ON clients
BEGIN INSERT INTO cache_changes (table_name) VALUES ('clients'); END;
CREATE TRIGGER portcullis_cache_client_deleted AFTER DELETE ON clients
BEGIN INSERT INTO cache_changes (table_name) VALUES ('clients'); END;
CREATE TRIGGER portcullis_cache_client_scope_added AFTER INSERT ON client_scopes
BEGIN INSERT INTO cache_changes (table_name) VALUES ('client_scopes'); END;
CREATE TRIGGER portcullis_cache_client_scope_deleted AFTER DELETE ON client_scopes
BEGIN INSERT INTO cache_changes (table_name) VALUES ('client_scopes'); END;
CREATE TRIGGER portcullis_cache_family_revoked AFTER UPDATE OF revoked_at ON token_families
  WHEN OLD.revoked_at IS NOT NEW.revoked_at
BEGIN INSERT INTO cache_changes (table_name) VALUES ('token_families'); END;
CREATE TRIGGER portcullis_cache_user_added AFTER INSERT ON users
BEGIN INSERT INTO cache_changes (table_name) VALUES ('users'); END;
CREATE TRIGGER portcullis_cache_user_enabled AFTER UPDATE OF enabled ON users
  WHEN OLD.enabled IS NOT NEW.enabled
BEGIN INSERT INTO cache_changes (table_name) VALUES ('users'); END;
CREATE TRIGGER portcullis_cache_user_deleted AFTER DELETE ON users
BEGIN INSERT INTO cache_changes (table_name) VALUES ('users'); END;
CREATE TRIGGER portcullis_cache_token_changed AFTER UPDATE ON tokens
  WHEN OLD.kind = 'access'
BEGIN INSERT INTO cache_changes (table_name, key) VALUES ('tokens', OLD.hash); END;
CREATE TRIGGER portcullis_cache_token_deleted AFTER DELETE ON tokens
  WHEN OLD.kind = 'access' AND OLD.revoked_at IS NULL
   AND (OLD.expires_at IS NULL OR OLD.expires_at > CAST(strftime('%s', 'now') AS INTEGER))
BEGIN INSERT INTO cache_changes (table_name, key) VALUES ('tokens', OLD.hash); END;
CREATE TRIGGER portcullis_cache_counter_added AFTER INSERT ON throttle_counters
BEGIN INSERT INTO cache_changes (table_name, key) VALUES ('throttle_counters', NEW.key); END;
CREATE TRIGGER portcullis_cache_counter_restarted AFTER UPDATE ON throttle_counters
  WHEN OLD.expire IS NOT NEW.expire
BEGIN INSERT INTO cache_changes (table_name, key) VALUES ('throttle_counters', NEW.key); END;
