-- Indexes that the first PostgreSQL schema had and the SQLite one lacked: members of a group,
-- clients of a scope (both also serve the cascades when a group or scope is deleted), and expired
-- counters. IF NOT EXISTS: a PostgreSQL database made before this migration has them already.
CREATE INDEX IF NOT EXISTS user_groups_group ON user_groups (group_name);
CREATE INDEX IF NOT EXISTS client_scopes_scope ON client_scopes (scope_name);
CREATE INDEX IF NOT EXISTS throttle_counters_expire ON throttle_counters (expire);
