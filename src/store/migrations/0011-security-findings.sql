-- Who made an administrative change (docs/security.md#audit-log): the administrator's username for
-- the admin API and console, the operating-system user and host (`root@db1`) for the CLI; and
-- how (`admin_session`, `admin_token`, `cli`). NULL for request events and the server's own changes.
ALTER TABLE audit_log ADD COLUMN actor TEXT;
ALTER TABLE audit_log ADD COLUMN actor_via TEXT;

-- Usernames are compared in one canonical form (RFC 8265 UsernameCaseMapped: src/core/username.ts),
-- which SQL cannot compute: the store fills `username_key` for every row it writes, and for older
-- rows right after the migrations run. Not unique: a database may hold names that differ only by
-- case from before; `portcullis migrate` lists them, and creation refuses new ones.
ALTER TABLE users ADD COLUMN username_key TEXT;
CREATE INDEX users_username_key ON users (username_key);

-- A backend client trusted to pass its end user's address with a password grant (`end_user_ip`,
-- docs/security.md#users-behind-one-server); refused from every other client.
ALTER TABLE clients ADD COLUMN trusted_for_end_user_address BOOLEAN NOT NULL DEFAULT FALSE;
