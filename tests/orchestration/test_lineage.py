"""OpenLineage configuration from OPENLINEAGE_TRANSPORT, and our bigquery:// assets as OL datasets."""

from __future__ import annotations

import dataclasses
import json

import pytest

from marketplace_elt.orchestration.lineage import bigquery_asset_to_openlineage, transport_config
from marketplace_elt.settings import Settings


def test_a_mart_asset_becomes_the_bigquery_dataset_google_names() -> None:
    from airflow.sdk import Asset

    dataset = bigquery_asset_to_openlineage(Asset("bigquery://acme-prod/marts/fct_orders"))
    assert (dataset.namespace, dataset.name) == ("bigquery", "acme-prod.marts.fct_orders")
    with pytest.raises(ValueError, match="is not bigquery://<project>/<dataset>/<table>"):
        bigquery_asset_to_openlineage(Asset("bigquery://acme-prod/marts"))


def test_airflow_finds_the_converter_through_the_provider_entry_point() -> None:
    """What the OpenLineage listener calls for a task's assets: our converter, found by Airflow."""
    from airflow.providers.openlineage.utils.utils import translate_airflow_asset
    from airflow.sdk import Asset

    dataset = translate_airflow_asset(Asset("bigquery://p/marts/fct_payment_reconciliation"), None)
    assert dataset is not None and dataset.name == "p.marts.fct_payment_reconciliation"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("console", {"type": "console"}),
        ('{"type": "http", "url": "http://marquez:5000"}', {"type": "http", "url": "http://marquez:5000"}),
    ],
)
def test_transport_options(settings: Settings, choice: str, expected: dict[str, str]) -> None:
    env = transport_config(dataclasses.replace(settings, openlineage_transport=choice))
    assert json.loads(env["AIRFLOW__OPENLINEAGE__TRANSPORT"]) == expected
    assert env["AIRFLOW__OPENLINEAGE__DISABLED"] == "False"


def test_the_default_writes_events_under_the_logs(settings: Settings) -> None:
    env = transport_config(dataclasses.replace(settings, openlineage_transport="file"))
    transport = json.loads(env["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    assert transport == {
        "type": "file",
        "log_file_path": str(settings.logs_dir / "openlineage" / "events.jsonl"),
        "append": True,
    }
    assert transport_config(dataclasses.replace(settings, openlineage_transport="off")) == {
        "AIRFLOW__OPENLINEAGE__DISABLED": "True"
    }
