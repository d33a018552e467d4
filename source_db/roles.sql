-- Read-only role that extract-load connects as (never the owner). Idempotent.
-- The role name is read from the session setting marketplace.replicator_role (default
-- marketplace_replicator); `marketplace-elt source init` sets it to the user of SOURCE_DB_URL and
-- then sets the role's password from that URL, so this file holds no secret. To apply it by hand:
--   psql "$SOURCE_ADMIN_DB_URL" -f source_db/roles.sql
--   psql "$SOURCE_ADMIN_DB_URL" -c "ALTER ROLE marketplace_replicator PASSWORD '...'"
-- The role sees the `public` schema only (not the simulator's `meta` schema), can read every table
-- there, including tables created later by the owner, and its sessions are read-only by default.
DO $$
DECLARE
    role_name text := coalesce(
        nullif(current_setting('marketplace.replicator_role', true), ''), 'marketplace_replicator');
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role_name) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', role_name);
    END IF;
    EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', role_name);
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role_name);
    EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', role_name);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA public TO %I', role_name);
    EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO %I', role_name);
END
$$;
