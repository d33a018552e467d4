# --- Google Cloud ---
variable "project_id" {
  description = "GCP project holding the datasets, the bucket and the service accounts (BQ_PROJECT)."
  type        = string
}

variable "region" {
  description = "Default region of the google provider."
  type        = string
  default     = "us-central1"
}

variable "bq_location" {
  description = "Location of the BigQuery datasets (BQ_LOCATION); must match the Airbyte destination."
  type        = string
  default     = "US"
}

variable "labels" {
  description = "Labels put on every dataset and on the bucket (cost attribution, ownership)."
  type        = map(string)
  default = {
    system = "marketplace-elt"
    owner  = "data-platform"
  }
}

variable "raw_dataset" {
  description = "Dataset extract-load writes (BQ_RAW_DATASET)."
  type        = string
  default     = "raw"
}

variable "staging_dataset" {
  description = "Dataset of the dbt staging and intermediate models (BQ_STAGING_DATASET)."
  type        = string
  default     = "staging"
}

variable "marts_dataset" {
  description = "Dataset of the dbt marts (BQ_MARTS_DATASET)."
  type        = string
  default     = "marts"
}

variable "airbyte_internal_dataset" {
  description = "Scratch dataset of Airbyte's BigQuery destination (its raw_data_dataset: state and dedup temp tables)."
  type        = string
  default     = "airbyte_internal"
}

variable "raw_drop_bucket_name" {
  description = "Globally unique name of the GCS bucket for raw file drops."
  type        = string
}

variable "raw_drop_retention_days" {
  description = "Days a dropped file is kept before the bucket deletes it."
  type        = number
  default     = 30
}

# --- Airbyte ---
variable "airbyte_server_url" {
  description = "Airbyte public API base URL (AIRBYTE_API_URL), e.g. http://localhost:8000/api/public/v1."
  type        = string
}

variable "airbyte_client_id" {
  description = "Client id of an Airbyte application (AIRBYTE_CLIENT_ID)."
  type        = string
  sensitive   = true
}

variable "airbyte_client_secret" {
  description = "Client secret of that application (AIRBYTE_CLIENT_SECRET)."
  type        = string
  sensitive   = true
}

variable "airbyte_workspace_id" {
  description = "Airbyte workspace that owns the source, the destination and the connection."
  type        = string
}

variable "loader_credentials_json" {
  description = "JSON key of the loader service account for the BigQuery destination; empty = Airbyte's default credentials (workload identity)."
  type        = string
  default     = ""
  sensitive   = true
}

# --- source PostgreSQL (read as the read-only role of source_db/roles.sql) ---
variable "source_host" {
  description = "Host of the marketplace PostgreSQL database, as Airbyte reaches it."
  type        = string
}

variable "source_port" {
  description = "Port of the marketplace PostgreSQL database."
  type        = number
  default     = 5432
}

variable "source_database" {
  description = "Name of the marketplace database."
  type        = string
  default     = "marketplace"
}

variable "source_username" {
  description = "Read-only replication role (source_db/roles.sql); never the owner."
  type        = string
  default     = "marketplace_replicator"
}

variable "source_password" {
  description = "Password of the replication role."
  type        = string
  sensitive   = true
}

variable "source_ssl_mode" {
  description = "libpq sslmode Airbyte uses for the source (disable, allow, prefer, require, verify-ca, verify-full)."
  type        = string
  default     = "require"
}
