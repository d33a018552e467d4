# Least privilege, per dataset (never project-wide data roles):
#   loader (Airbyte destination): writes raw (+ its own scratch dataset) and the raw-drop bucket;
#                                 no access at all to staging or marts.
#   dbt (Airflow workers):        reads raw, writes staging and the marts datasets (build, published,
#                                 previous, shadow: write-audit-publish).
# Both may run BigQuery jobs (roles/bigquery.jobUser grants no data access by itself).
resource "google_service_account" "loader" {
  account_id   = "melt-loader"
  display_name = "marketplace-elt loader (Airbyte BigQuery destination)"
  description  = "Writes the raw dataset only."
}

resource "google_service_account" "dbt" {
  account_id   = "melt-dbt"
  display_name = "marketplace-elt dbt"
  description  = "Reads raw, builds staging and marts."
}

# --- loader ---
resource "google_project_iam_member" "loader_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.loader.email}"
}

resource "google_bigquery_dataset_iam_member" "loader_raw_editor" {
  dataset_id = google_bigquery_dataset.raw.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.loader.email}"
}

resource "google_bigquery_dataset_iam_member" "loader_airbyte_internal_editor" {
  dataset_id = google_bigquery_dataset.airbyte_internal.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.loader.email}"
}

resource "google_storage_bucket_iam_member" "loader_raw_drops_writer" {
  bucket = google_storage_bucket.raw_drops.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.loader.email}"
}

# --- dbt ---
resource "google_project_iam_member" "dbt_job_user" {
  project = var.project_id
  role    = "roles/bigquery.jobUser"
  member  = "serviceAccount:${google_service_account.dbt.email}"
}

resource "google_bigquery_dataset_iam_member" "dbt_raw_viewer" {
  dataset_id = google_bigquery_dataset.raw.dataset_id
  role       = "roles/bigquery.dataViewer"
  member     = "serviceAccount:${google_service_account.dbt.email}"
}

resource "google_bigquery_dataset_iam_member" "dbt_staging_editor" {
  dataset_id = google_bigquery_dataset.staging.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.dbt.email}"
}

resource "google_bigquery_dataset_iam_member" "dbt_marts_editor" {
  dataset_id = google_bigquery_dataset.marts.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.dbt.email}"
}

resource "google_bigquery_dataset_iam_member" "dbt_marts_audit_editor" {
  dataset_id = google_bigquery_dataset.marts_audit.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.dbt.email}"
}

resource "google_bigquery_dataset_iam_member" "dbt_marts_previous_editor" {
  dataset_id = google_bigquery_dataset.marts_previous.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.dbt.email}"
}

resource "google_bigquery_dataset_iam_member" "dbt_marts_shadow_editor" {
  dataset_id = google_bigquery_dataset.marts_shadow.dataset_id
  role       = "roles/bigquery.dataEditor"
  member     = "serviceAccount:${google_service_account.dbt.email}"
}
