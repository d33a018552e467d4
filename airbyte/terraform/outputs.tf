output "airbyte_connection_id" {
  description = "Set AIRBYTE_CONNECTION_ID to this value (with EL_BACKEND=airbyte)."
  value       = airbyte_connection.marketplace.connection_id
}

output "loader_service_account" {
  description = "Service account the Airbyte BigQuery destination runs as."
  value       = google_service_account.loader.email
}

output "dbt_service_account" {
  description = "Service account dbt (Airflow workers) runs as."
  value       = google_service_account.dbt.email
}

output "raw_drop_bucket" {
  description = "GCS bucket for raw file drops."
  value       = google_storage_bucket.raw_drops.url
}

output "datasets" {
  description = "Dataset ids for BQ_RAW_DATASET, BQ_STAGING_DATASET and BQ_MARTS_DATASET."
  value = {
    raw     = google_bigquery_dataset.raw.dataset_id
    staging = google_bigquery_dataset.staging.dataset_id
    marts   = google_bigquery_dataset.marts.dataset_id
  }
}
