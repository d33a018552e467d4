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
  description   = "Published dbt marts (no PII): what readers see. Written only by the publish step, after gate_marts passed."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "marts" })
}

# Write-audit-publish (docs/architecture.md): each run builds the marts into marts__audit, gates them
# there and copies them into marts; marts__previous keeps the version before the last publish
# (`marketplace-elt marts rollback`); marts__shadow holds full-refresh builds for `marts compare`.
# The suffixes are the settings' (Settings.marts_audit_dataset etc.).
resource "google_bigquery_dataset" "marts_audit" {
  dataset_id    = "${var.marts_dataset}__audit"
  friendly_name = "marts build"
  description   = "This run's marts build, checked by dbt tests and gate_marts before publishing. Not for readers."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "marts-build" })
}

resource "google_bigquery_dataset" "marts_previous" {
  dataset_id    = "${var.marts_dataset}__previous"
  friendly_name = "marts previous"
  description   = "The published marts before the last publish: what a rollback restores."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "marts-build" })
}

resource "google_bigquery_dataset" "marts_shadow" {
  dataset_id    = "${var.marts_dataset}__shadow"
  friendly_name = "marts shadow"
  description   = "Full-refresh builds of the marts, compared row by row with the incremental build."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "marts-build" })
}

resource "google_bigquery_dataset" "airbyte_internal" {
  dataset_id    = var.airbyte_internal_dataset
  friendly_name = "airbyte internal"
  description   = "State and temporary tables of Airbyte's BigQuery destination. Not read by dbt."
  location      = var.bq_location
  labels        = merge(var.labels, { layer = "loader-scratch" })
}
