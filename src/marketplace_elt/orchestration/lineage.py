"""OpenLineage for the pipeline: where events go, and how our mart assets become lineage datasets.

The OpenLineage provider emits a START and a COMPLETE (or FAIL) event for every task and DAG run.
Its transport comes from OPENLINEAGE_TRANSPORT (`airflow_env`): by default one JSON line per event
in `MELT_HOME/logs/openlineage/events.jsonl`; in production an HTTP transport (Marquez, a catalog).

A task's assets appear in its events only when a provider registers a converter for the asset's URI
scheme. `bigquery://` is registered by Google's provider, which this project does not install (it
pulls in most of Google Cloud's SDKs), so this package declares itself a small Airflow provider
(`apache_airflow_provider` entry point in pyproject.toml) that registers the scheme and the converter
below: `publish_marts` then reports every published mart as an output dataset, named as the Google
provider names BigQuery tables (namespace `bigquery`, name `project.dataset.table`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from airflow.sdk import Asset

NAMESPACE = "marketplace_elt"


def get_provider_info() -> dict[str, Any]:
    """What Airflow's providers manager reads from the `apache_airflow_provider` entry point."""
    return {
        "package-name": "marketplace-elt",
        "name": "Marketplace ELT",
        "description": "bigquery:// assets of the published marts and their OpenLineage datasets.",
        "asset-uris": [
            {
                "schemes": ["bigquery"],
                "handler": None,
                "to_openlineage_converter": "marketplace_elt.orchestration.lineage.bigquery_asset_to_openlineage",
            }
        ],
    }


def bigquery_asset_to_openlineage(asset: Asset, lineage_context: Any = None) -> Any:
    """`bigquery://project/dataset/table` -> the OpenLineage dataset `bigquery` / `project.dataset.table`."""
    from airflow.providers.common.compat.openlineage.facet import Dataset

    parts = urlsplit(asset.uri)
    dataset, _, table = parts.path.strip("/").partition("/")
    if not (parts.netloc and dataset and table) or "/" in table:
        raise ValueError(f"{asset.uri!r} is not bigquery://<project>/<dataset>/<table>")
    return Dataset(namespace="bigquery", name=f"{parts.netloc}.{dataset}.{table}")


def transport_config(settings: Settings) -> dict[str, str]:
    """Airflow's [openlineage] options for OPENLINEAGE_TRANSPORT (file, console, off, or a JSON transport)."""
    choice = settings.openlineage_transport
    if choice == "off":
        return {"AIRFLOW__OPENLINEAGE__DISABLED": "True"}
    if choice == "file":
        path = events_file(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        transport: dict[str, Any] = {"type": "file", "log_file_path": str(path), "append": True}
    elif choice == "console":
        transport = {"type": "console"}
    else:
        transport = json.loads(choice)
    return {
        "AIRFLOW__OPENLINEAGE__DISABLED": "False",
        "AIRFLOW__OPENLINEAGE__NAMESPACE": NAMESPACE,
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
    }


def events_file(settings: Settings) -> Any:
    return settings.logs_dir / "openlineage" / "events.jsonl"
