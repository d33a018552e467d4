"""End-to-end run on the configured services: what `make run` does."""
