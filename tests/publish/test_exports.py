"""The finance export reads the published mart and names its file by the publishing run."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from marketplace_elt.bigquery import query_rows
from marketplace_elt.errors import UserError
from marketplace_elt.publish.exports import export_published
from marketplace_elt.settings import Settings
from tests.isolation import create, drop, isolated_settings

TABLE = "fct_payment_reconciliation"


def _published(settings: Settings, sql: str) -> list[dict[str, Any]]:
    return query_rows(settings, sql.format(t=f"`{settings.bq_project}.{settings.marts_dataset}.{TABLE}`"))


def test_export_equals_the_published_mart_and_is_idempotent(pipeline_run: Any, settings: Settings) -> None:
    assert pipeline_run.state == "success"
    first = export_published(settings, TABLE)
    (expected,) = _published(settings, "SELECT COUNT(*) AS n, SUM(captured_amount_usd) AS captured FROM {t}")
    with first.path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert first.rows == len(rows) == expected["n"] > 0
    captured = sum((Decimal(r["captured_amount_usd"]) for r in rows if r["captured_amount_usd"]), Decimal(0))
    assert abs(captured - Decimal(str(expected["captured"]))) < Decimal("0.01")
    (last,) = query_rows(
        settings,
        f"SELECT run_id FROM `{settings.bq_project}.{settings.marts_dataset}.marts_publish_log` "
        "WHERE state = 'done' ORDER BY recorded_at DESC LIMIT 1",
    )
    assert first.publish_run_id == last["run_id"]
    assert first.path.parent == settings.home / "exports" / TABLE

    again = export_published(settings, TABLE)
    assert again.path == first.path and again.path.read_bytes() == first.path.read_bytes()
    # The session's DAG runs export beside this one (one file per publishing run); none is left partial.
    assert not [p.name for p in first.path.parent.iterdir() if not p.name.endswith(".csv")]


def test_nothing_published_is_one_line(services: Settings, tmp_path: Path) -> None:
    empty = isolated_settings(services, "export", prefix="test", all_datasets=True)
    create(services, empty)
    try:
        with pytest.raises(UserError, match=r"no finished publish .* run the pipeline first"):
            export_published(empty, TABLE)
    finally:
        drop(services, empty)
