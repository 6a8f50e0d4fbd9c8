-- Per-service limits of the gateway (docs/resource-server.md "Limits per service"): calls in flight
-- at once and milliseconds to wait for the upstream's headers. NULL: the instance's defaults.
ALTER TABLE services ADD COLUMN max_concurrent INTEGER;
ALTER TABLE services ADD COLUMN timeout_ms INTEGER;
-- Scopes published in the metadata's scopes_supported (RFC 8414 §2): only those marked public.
ALTER TABLE scopes ADD COLUMN is_public BOOLEAN NOT NULL DEFAULT FALSE;
