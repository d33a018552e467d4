#!/usr/bin/env bash
# First start of the compose `source-postgres` service (the postgres image runs every script in
# /docker-entrypoint-initdb.d once, when its data volume is empty): create the marketplace schema
# and the read-only replication role from the contract files in source_db/, then give that role
# the password from SOURCE_REPLICATOR_PASSWORD (.env) so extract-load can log in with SOURCE_DB_URL.
# The tables are owned by POSTGRES_USER (marketplace_owner), the role `marketplace-elt source`
# commands connect as through SOURCE_ADMIN_DB_URL.
set -euo pipefail

: "${SOURCE_REPLICATOR_PASSWORD:?set SOURCE_REPLICATOR_PASSWORD in .env (see .env.example)}"
contract_dir=/opt/source_db

run_psql() {
    psql -v ON_ERROR_STOP=1 --no-psqlrc --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" "$@"
}

run_psql --file "$contract_dir/schema.sql"
run_psql --file "$contract_dir/roles.sql"
# psql interpolates :'password' as a quoted literal, so the password never needs escaping here.
run_psql --set "password=$SOURCE_REPLICATOR_PASSWORD" <<'SQL'
ALTER ROLE marketplace_replicator PASSWORD :'password';
SQL
echo "marketplace source initialised: schema.sql + roles.sql applied, replicator password set"
