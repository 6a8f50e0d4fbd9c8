-- dialect: postgres
-- The read caches of every instance (src/store/read-caches.ts) hear of each change that could make
-- one of their entries wrong, whoever makes it: store methods, cascades, the CLI, another instance.
-- Each trigger sends, inside the writing transaction (so at its commit, and only if it commits),
-- a notification on the channel portcullis_cache: the table's name, and ':' and the row's key
-- where a table has one. The list is WATCHED_CHANGES, narrowed to the rows a cache can hold:
-- access tokens (refresh tokens are not cached, so a rotation notifies nothing); deletes of live
-- ones (the purge's of expired or revoked tokens change no answer; a family's delete reaches its
-- tokens by cascade, so it needs no trigger of its own); counters whose window starts (a count
-- that goes on was never cached as absent). SQLite needs none of this: each connection makes
-- its own TEMP triggers.
CREATE FUNCTION portcullis_cache_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  payload text := TG_TABLE_NAME;
BEGIN
  IF TG_NARGS > 0 THEN
    payload := payload || ':' || ((CASE WHEN TG_OP = 'INSERT' THEN to_jsonb(NEW) ELSE to_jsonb(OLD) END) ->> TG_ARGV[0]);
  END IF;
  PERFORM pg_notify('portcullis_cache', payload);
  RETURN NULL;
END
$$;

CREATE TRIGGER portcullis_cache_clients AFTER INSERT OR UPDATE OR DELETE ON clients
  FOR EACH ROW EXECUTE FUNCTION portcullis_cache_changed();
CREATE TRIGGER portcullis_cache_client_scopes AFTER INSERT OR DELETE ON client_scopes
  FOR EACH ROW EXECUTE FUNCTION portcullis_cache_changed();
CREATE TRIGGER portcullis_cache_family_revoked AFTER UPDATE OF revoked_at ON token_families
  FOR EACH ROW WHEN (OLD.revoked_at IS DISTINCT FROM NEW.revoked_at) EXECUTE FUNCTION portcullis_cache_changed();
CREATE TRIGGER portcullis_cache_user_added AFTER INSERT OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION portcullis_cache_changed();
CREATE TRIGGER portcullis_cache_user_enabled AFTER UPDATE OF enabled ON users
  FOR EACH ROW WHEN (OLD.enabled IS DISTINCT FROM NEW.enabled) EXECUTE FUNCTION portcullis_cache_changed();
CREATE TRIGGER portcullis_cache_token_changed AFTER UPDATE ON tokens
  FOR EACH ROW WHEN (OLD.kind = 'access') EXECUTE FUNCTION portcullis_cache_changed('hash');
CREATE TRIGGER portcullis_cache_token_deleted AFTER DELETE ON tokens
  FOR EACH ROW WHEN (OLD.kind = 'access' AND OLD.revoked_at IS NULL AND (OLD.expires_at IS NULL OR OLD.expires_at > extract(epoch FROM now())))
  EXECUTE FUNCTION portcullis_cache_changed('hash');
CREATE TRIGGER portcullis_cache_counter_added AFTER INSERT ON throttle_counters
  FOR EACH ROW EXECUTE FUNCTION portcullis_cache_changed('key');
CREATE TRIGGER portcullis_cache_counter_restarted AFTER UPDATE ON throttle_counters
  FOR EACH ROW WHEN (OLD.expire IS DISTINCT FROM NEW.expire) EXECUTE FUNCTION portcullis_cache_changed('key');
