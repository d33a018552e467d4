"""Airflow assets for the published marts: what data-aware DAGs schedule on.

Each published mart is one asset, named by its BigQuery URI (`bigquery://<project>/<dataset>/<table>`,
the form Airflow's Google provider and OpenLineage use), and `publish_marts` is its only producer:
an asset event means readers now see a version that passed its tests and gate_marts. Cosmos can emit
assets itself (`emit_datasets`), but its dbt tasks write to `<marts>__audit`, so its events would
announce data that has not been audited yet; that is why the DAG leaves it off.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from airflow.sdk import Asset


def mart_uri(settings: Settings, table: str) -> str:
    return f"bigquery://{settings.bq_project}/{settings.marts_dataset}/{table}"


def mart_asset(settings: Settings, table: str) -> Asset:
    from airflow.sdk import Asset

    return Asset(uri=mart_uri(settings, table), group="marts", extra={"table": table})


def published_mart_assets(settings: Settings) -> list[Asset]:
    """One asset per mart a publish replaces (the manifest's models/marts: declared by dbt)."""
    from marketplace_elt.publish.marts import published_models

    return [mart_asset(settings, table) for table in published_models(settings)]
