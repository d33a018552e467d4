# Airbyte connection-as-code: marketplace PostgreSQL (read-only role) -> BigQuery dataset `raw`,
# with the same streams and sync modes as the embedded loader. Airflow triggers the syncs
# (EL_BACKEND=airbyte, AIRBYTE_CONNECTION_ID = output `airbyte_connection_id`), so the connection
# itself has no schedule.
locals {
  # The stream catalog: one declaration per stream in airbyte/streams/<stream>.yml, the same files
  # the embedded loader and `marketplace-elt el airbyte apply` read (_catalog.yml holds the shared
  # settings). The catalog's look-back windows are a feature of the embedded loader; Airbyte's
  # cursor reads from the saved state instead.
  stream_dir      = "${path.module}/../streams"
  catalog_options = yamldecode(file("${local.stream_dir}/_catalog.yml"))
  stream_declarations = {
    for file_name in fileset(local.stream_dir, "*.yml") :
    trimsuffix(file_name, ".yml") => yamldecode(file("${local.stream_dir}/${file_name}"))
    if file_name != "_catalog.yml"
  }
  streams = {
    for name, stream in local.stream_declarations : name => {
      sync_mode    = stream.sync_mode
      cursor_field = try([stream.cursor_field], null) # full-refresh streams have no cursor
      primary_key  = stream.primary_key
    }
  }
  source_schema = try(local.catalog_options.source_schema, "public")

  # Connector definitions of Airbyte's catalog: source-postgres and destination-bigquery.
  source_postgres_definition_id      = "decd338e-5647-4c0b-adf4-da0e75f5a750"
  destination_bigquery_definition_id = "22f6c74f-5699-40ff-833c-4a879ea40133"

  # Without a key the destination uses its default credentials (e.g. workload identity bound to
  # the loader service account).
  loader_credentials = var.loader_credentials_json == "" ? {} : {
    credentials_json = var.loader_credentials_json
  }
}

resource "airbyte_source" "marketplace_postgres" {
  name          = "marketplace-postgres"
  workspace_id  = var.airbyte_workspace_id
  definition_id = local.source_postgres_definition_id
  configuration = jsonencode({
    host     = var.source_host
    port     = var.source_port
    database = var.source_database
    schemas  = [local.source_schema]
    username = var.source_username
    password = var.source_password
    ssl_mode = { mode = var.source_ssl_mode }
    # Cursor-based reads (the catalog's cursor fields), no logical replication slot needed.
    replication_method = { method = "Standard" }
    tunnel_method      = { tunnel_method = "NO_TUNNEL" }
  })
}

resource "airbyte_destination" "bigquery_raw" {
  name          = "marketplace-bigquery-raw"
  workspace_id  = var.airbyte_workspace_id
  definition_id = local.destination_bigquery_definition_id
  configuration = jsonencode(merge(
    {
      project_id       = var.project_id
      dataset_location = var.bq_location
      dataset_id       = google_bigquery_dataset.raw.dataset_id
      raw_data_dataset = google_bigquery_dataset.airbyte_internal.dataset_id
      loading_method   = { method = "Standard" }
    },
    local.loader_credentials,
  ))
}

resource "airbyte_connection" "marketplace" {
  name                                 = "marketplace-postgres-to-bigquery-raw"
  source_id                            = airbyte_source.marketplace_postgres.source_id
  destination_id                       = airbyte_destination.bigquery_raw.destination_id
  namespace_definition                 = "destination" # every stream lands in dataset `raw`, same table name
  non_breaking_schema_updates_behavior = "propagate_columns"
  status                               = "active"

  schedule = {
    schedule_type = "manual" # Airflow triggers each sync
  }

  configurations = {
    streams = [
      for name, stream in local.streams : {
        name         = name
        sync_mode    = stream.sync_mode
        cursor_field = stream.cursor_field
        primary_key  = [stream.primary_key]
      }
    ]
  }
}
