-- Who made an administrative change (docs/security.md#audit-log): the administrator's username for
-- the admin API and console, the operating-system user and host (`root@db1`) for the CLI; and
-- how (`admin_session`, `admin_token`, `cli`). NULL for request events and the server's own changes.
ALTER TABLE audit_log ADD COLUMN actor TEXT;
ALTER TABLE audit_log ADD COLUMN actor_via TEXT;
