# The three layers of the warehouse plus the Airbyte destination's scratch dataset. Location and
# labels are variables; `layer` tells the datasets apart in billing exports.
resource "google_bigquery_dataset" "raw" {
  dataset_id    = var.raw_dataset
  friendly_name = "raw"
  description   = "Extract-load output: one table per source table, Airbyte column contract. Written by the loader only."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "raw" })
}

resource "google_bigquery_dataset" "staging" {
  dataset_id    = var.staging_dataset
  friendly_name = "staging"
  description   = "dbt staging and intermediate models. Written by dbt only."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "staging" })
}

resource "google_bigquery_dataset" "marts" {
  dataset_id    = var.marts_dataset
  friendly_name = "marts"
  description   = "dbt marts (no PII). Written by dbt only."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "marts" })
}

resource "google_bigquery_dataset" "airbyte_internal" {
  dataset_id    = var.airbyte_internal_dataset
  friendly_name = "airbyte internal"
  description   = "State and temporary tables of Airbyte's BigQuery destination. Not read by dbt."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "loader-scratch" })
}
