"""Running the dbt project with the platform's settings (same env for CLI, Airflow and tests)."""

from marketplace_elt.transform.dbt import build_manifest, dbt_env, manifest_path, run_dbt

__all__ = ["build_manifest", "dbt_env", "manifest_path", "run_dbt"]
