-- Read-only role that extract-load connects as (never the owner). The password is set from the
-- SOURCE_REPLICATOR_PASSWORD setting by `marketplace-elt source init`; this file holds no secret.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'marketplace_replicator') THEN
        CREATE ROLE marketplace_replicator LOGIN;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO marketplace_replicator', current_database());
END
$$;
GRANT USAGE ON SCHEMA public TO marketplace_replicator;
GRANT SELECT ON ALL TABLES IN SCHEMA public TO marketplace_replicator;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO marketplace_replicator;
