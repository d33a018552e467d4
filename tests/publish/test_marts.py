"""Write-audit-publish on the real emulator: publish, keep the previous version, roll back, heal.

Each mart table here holds one row naming the version it belongs to, so every move between the
published, audit and previous datasets can be read back exactly. Private datasets: the session's
pipeline output is not touched.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from marketplace_elt.bigquery import client
from marketplace_elt.errors import UserError
from marketplace_elt.publish import MartsPublisher, published_models
from marketplace_elt.publish.marts import PUBLISH_LOG, RUN_LEDGER
from marketplace_elt.settings import Settings
from tests.isolation import create, drop, env_for, isolated_settings


@pytest.fixture(scope="module")
def wap(services: Settings, dbt_manifest: Path) -> Iterator[Settings]:
    isolated = isolated_settings(services, "wap", prefix="test", all_datasets=True)
    create(services, isolated)
    yield isolated
    drop(services, isolated)


@pytest.fixture
def fresh(wap: Settings) -> Settings:
    """Empty published, audit and previous datasets for one test."""
    bq = client(wap)
    for dataset in wap.marts_datasets:
        bq.delete_dataset(f"{wap.bq_project}.{dataset}", delete_contents=True, not_found_ok=True)
        bq.create_dataset(f"{wap.bq_project}.{dataset}")
    return wap


def _write(settings: Settings, dataset: str, table: str, version: str) -> None:
    from google.cloud import bigquery

    bq = client(settings)
    table_id = f"{settings.bq_project}.{dataset}.{table}"
    schema = [bigquery.SchemaField("version", "STRING")]
    bq.delete_table(table_id, not_found_ok=True)
    bq.create_table(bigquery.Table(table_id, schema=schema))
    bq.load_table_from_file(
        io.BytesIO((json.dumps({"version": version}) + "\n").encode()),
        table_id,
        job_config=bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON, schema=schema),
    ).result()


def _build(settings: Settings, version: str, models: list[str] | None = None) -> None:
    """What a marts build leaves in the audit dataset: every mart at ``version``."""
    for model in models if models is not None else published_models(settings):
        _write(settings, settings.marts_audit_dataset, model, version)


def _versions(settings: Settings, dataset: str) -> dict[str, Any]:
    bq = client(settings)
    out = {}
    for table in bq.list_tables(f"{settings.bq_project}.{dataset}"):
        if table.table_id == PUBLISH_LOG:
            continue
        rows = list(bq.query(f"SELECT version FROM `{settings.bq_project}.{dataset}.{table.table_id}`").result())
        out[table.table_id] = [r["version"] for r in rows]
    return out


def _all_at(settings: Settings, version: str) -> dict[str, Any]:
    return {m: [version] for m in published_models(settings)}


def test_the_published_marts_are_the_dbt_models_under_marts(dbt_manifest: Path, settings: Settings) -> None:
    manifest = json.loads(dbt_manifest.read_text())
    under_marts = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["original_file_path"].startswith("models/marts/")
    }
    models = published_models(settings)
    assert set(models) == under_marts
    assert {"fct_orders", "fct_payment_reconciliation", RUN_LEDGER} <= set(models)


def test_publish_keeps_the_previous_version_and_rollback_restores_it(fresh: Settings) -> None:
    publisher = MartsPublisher(fresh)
    _build(fresh, "v1")
    first = publisher.publish("run-1")
    assert first.tables == published_models(fresh)
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v1")
    assert _versions(fresh, fresh.marts_previous_dataset) == {}

    _build(fresh, "v2")
    publisher.publish("run-2")
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v2")
    assert _versions(fresh, fresh.marts_previous_dataset) == _all_at(fresh, "v1")

    result = publisher.rollback()
    assert result.action == "rollback"
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v1")
    publisher.rollback()  # one level only: a second rollback restores the same version
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v1")
    entry = publisher.last_entry()
    assert entry is not None and (entry.action, entry.state) == ("rollback", "done")


def test_rollback_of_the_first_publish_is_refused(fresh: Settings) -> None:
    publisher = MartsPublisher(fresh)
    _build(fresh, "v1")
    publisher.publish("run-1")
    with pytest.raises(UserError, match="nothing to roll back to"):
        publisher.rollback()
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v1")


def test_an_incomplete_build_is_not_published(fresh: Settings) -> None:
    publisher = MartsPublisher(fresh)
    _build(fresh, "v1")
    publisher.publish("run-1")
    models = published_models(fresh)
    _build(fresh, "v2", [m for m in models if m != "fct_orders"])
    bq = client(fresh)
    bq.delete_table(f"{fresh.bq_project}.{fresh.marts_audit_dataset}.fct_orders")
    with pytest.raises(UserError, match="lacks fct_orders"):
        publisher.publish("run-2")
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v1")
    assert _versions(fresh, fresh.marts_previous_dataset) == {}


def test_a_build_without_the_run_ledger_publishes_the_rest(fresh: Settings) -> None:
    """A `dbt build` by hand does not write the ledger (the DAG's publish step does)."""
    _build(fresh, "v1")
    MartsPublisher(fresh).publish("run-1")
    others = [m for m in published_models(fresh) if m != RUN_LEDGER]
    client(fresh).delete_table(f"{fresh.bq_project}.{fresh.marts_audit_dataset}.{RUN_LEDGER}")
    _build(fresh, "v2", others)
    result = MartsPublisher(fresh).publish("by-hand")
    assert result.tables == others
    assert _versions(fresh, fresh.marts_dataset) == {**_all_at(fresh, "v2"), RUN_LEDGER: ["v1"]}


def test_prepare_mirrors_the_published_marts_and_drops_leftovers(fresh: Settings) -> None:
    publisher = MartsPublisher(fresh)
    _build(fresh, "v1")
    publisher.publish("run-1")
    # a failed run's build and a killed dbt's temporary relations
    _build(fresh, "bad")
    _write(fresh, fresh.marts_audit_dataset, "fct_orders__dbt_tmp", "tmp")
    _write(fresh, fresh.marts_audit_dataset, "fct_orders__dbt_tmp_20261202", "tmp")
    result = publisher.prepare("run-2")
    assert sorted(result.tables) == published_models(fresh)
    assert _versions(fresh, fresh.marts_audit_dataset) == _all_at(fresh, "v1")


def test_prepare_before_anything_was_published_leaves_audit_empty(fresh: Settings) -> None:
    _build(fresh, "half-built", ["fct_orders"])
    result = MartsPublisher(fresh).prepare("first-run")
    assert result.tables == []
    assert _versions(fresh, fresh.marts_audit_dataset) == {}


def test_an_interrupted_publish_is_finished_without_losing_the_previous_version(fresh: Settings) -> None:
    publisher = MartsPublisher(fresh)
    _build(fresh, "v1")
    publisher.publish("run-1")
    _build(fresh, "v2")
    # run-2's publish saved v1 as previous, recorded itself as started, and died after one table
    publisher._clone([(m, fresh.marts_dataset, fresh.marts_previous_dataset) for m in published_models(fresh)])
    publisher._record("run-2", "publish", "started", len(published_models(fresh)))
    publisher._clone([("fct_orders", fresh.marts_audit_dataset, fresh.marts_dataset)])

    result = MartsPublisher(fresh).prepare("run-3")
    assert result.resumed
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v2")
    assert _versions(fresh, fresh.marts_previous_dataset) == _all_at(fresh, "v1")
    assert _versions(fresh, fresh.marts_audit_dataset) == _all_at(fresh, "v2")
    MartsPublisher(fresh).rollback()
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v1")


def test_cli_rollback_and_status(fresh: Settings) -> None:
    _build(fresh, "v1")
    MartsPublisher(fresh).publish("run-1")
    _build(fresh, "v2")
    MartsPublisher(fresh).publish("run-2")
    cli = [sys.executable, "-m", "marketplace_elt.cli", "marts"]
    out = subprocess.run([*cli, "rollback"], env=env_for(fresh), capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"marts rolled back for run manual: {len(published_models(fresh))} tables"
    assert _versions(fresh, fresh.marts_dataset) == _all_at(fresh, "v1")
    status = subprocess.run([*cli, "status"], env=env_for(fresh), capture_output=True, text=True, timeout=300)
    assert status.returncode == 0, status.stderr
    assert "last rollback done for run manual" in status.stdout
