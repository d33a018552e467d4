# Landing bucket for raw file drops (exports, partner files) before they are loaded into `raw`.
# Private: uniform access, public access prevention, versioned, old files expire.
resource "google_storage_bucket" "raw_drops" {
  name                        = var.raw_drop_bucket_name
  location                    = var.bq_location
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  labels                      = merge(var.labels, { layer = "raw" })

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age = var.raw_drop_retention_days
    }
    action {
      type = "Delete"
    }
  }
}
