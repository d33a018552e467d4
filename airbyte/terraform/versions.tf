# Infrastructure of the production deployment: the BigQuery datasets the pipeline writes, the
# service accounts of the loader (Airbyte) and of dbt with least-privilege IAM, a GCS bucket for raw
# file drops, and the Airbyte source, destination and connection for the stream catalog.
# Usage and validation: docs/deployment.md ("Terraform").
terraform {
  required_version = ">= 1.5"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
    airbyte = {
      source  = "airbytehq/airbyte"
      version = "~> 1.0"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

# Airbyte's public API (self-managed `abctl` install or Airbyte Cloud), authenticated with an
# application's client id/secret (Settings > Applications in the Airbyte UI).
provider "airbyte" {
  server_url    = var.airbyte_server_url
  client_id     = var.airbyte_client_id
  client_secret = var.airbyte_client_secret
}
