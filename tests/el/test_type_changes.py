"""Column type changes at the source, on the real PostgreSQL and BigQuery emulator.

A widening change (integer -> numeric) is applied to raw in place and recorded; a narrowing or
incompatible one fails only its stream, in one line naming the column, both types and the fix, and
is marked so Airflow does not retry it. Tests run in order on one source database and raw dataset.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from marketplace_elt.bigquery import client, query_rows
from marketplace_elt.el import SyncFailed, SyncResult, sync
from marketplace_elt.settings import Settings
from tests.el import minisource as m

LEGACY = {"INTEGER": "INT64", "FLOAT": "FLOAT64"}


def raw_type(settings: Settings, table: str, column: str) -> str:
    schema = client(settings).get_table(f"{settings.bq_project}.{settings.raw_dataset}.{table}").schema
    (field,) = [f for f in schema if f.name == column]
    return LEGACY.get(field.field_type, field.field_type)


def raw_rows(settings: Settings, table: str) -> dict[str, dict[str, Any]]:
    rows = query_rows(settings, f"SELECT * FROM `{settings.bq_project}.{settings.raw_dataset}.{table}`")
    return {r["id"]: r for r in rows}


def last_log(settings: Settings, stream: str) -> dict[str, Any]:
    (row,) = query_rows(
        settings,
        f"SELECT status, error, schema_changes, cursor_after FROM "
        f"`{settings.bq_project}.{settings.raw_dataset}.el_sync_log` "
        f"WHERE stream = '{stream}' ORDER BY sync_id DESC, started_at DESC LIMIT 1",
    )
    return row


def test_widening_is_applied_to_raw_and_recorded(
    el_settings: Settings, owner: psycopg.Connection, first_sync: dict[str, SyncResult]
) -> None:
    assert raw_type(el_settings, "products", "quantity_available") == "INT64"
    owner.execute("ALTER TABLE products ALTER COLUMN quantity_available TYPE numeric")
    owner.execute(
        "UPDATE products SET quantity_available = 2.5, updated_at = '2026-10-20 00:00:00+00' WHERE id = %s", [m.P1]
    )

    result = m.by_stream(sync(el_settings, ["products"]))["products"]

    assert result.status == "succeeded" and result.rows_written == 1
    assert raw_type(el_settings, "products", "quantity_available") == "NUMERIC"
    products = raw_rows(el_settings, "products")
    assert products[m.P1]["quantity_available"] == Decimal("2.5")  # the new value, with its fraction
    assert products[m.P2]["quantity_available"] == Decimal("0")  # a row loaded before keeps its value
    widened = {
        "field": "quantity_available",
        "change": "WIDENED",
        "reason": "SOURCE_SCHEMA_CHANGE",
        "from_type": "INT64",
        "to_type": "NUMERIC",
    }
    assert widened in products[m.P1]["_airbyte_meta"]["changes"]
    assert products[m.P2]["_airbyte_meta"]["changes"] == []  # not rewritten: its value did not change
    log = last_log(el_settings, "products")
    assert log["status"] == "succeeded" and json.loads(log["schema_changes"]) == [widened]


def test_sync_after_widening_writes_nothing_new(el_settings: Settings) -> None:
    result = m.by_stream(sync(el_settings, ["products"]))["products"]
    assert result.status == "succeeded" and result.rows_written == 0
    assert last_log(el_settings, "products")["schema_changes"] is None


def test_drift_report_names_the_widened_column(el_settings: Settings) -> None:
    from marketplace_elt.quality.schema_changes import schema_changes

    report = schema_changes(el_settings)
    assert any(line.startswith("products.quantity_available changed type at the source") for line in report), report


def test_narrowing_fails_only_its_stream_in_one_line(el_settings: Settings, owner: psycopg.Connection) -> None:
    cursor_before = last_log(el_settings, "products")["cursor_after"]
    owner.execute("ALTER TABLE products ALTER COLUMN quantity_available TYPE integer USING round(quantity_available)")
    owner.execute("UPDATE products SET updated_at = '2026-10-21 00:00:00+00' WHERE id = %s", [m.P2])
    owner.execute("UPDATE orders SET status = 'shipped', updated_at = '2026-10-21 00:00:00+00' WHERE id = %s", [m.O2])

    with pytest.raises(SyncFailed) as failed:
        sync(el_settings)

    assert not failed.value.retryable
    results = m.by_stream(failed.value.results)
    assert [name for name, r in results.items() if not r.succeeded] == ["products"]
    error = results["products"].error or ""
    assert error == (
        "products.quantity_available changed NUMERIC → INT64 (source type integer) at the source; a narrowing "
        "change is not applied automatically: run `marketplace-elt el sync --stream products --full-refresh` "
        "after checking the values"
    )
    assert "\n" not in str(failed.value) and error in str(failed.value)
    assert raw_rows(el_settings, "orders")[m.O2]["status"] == "shipped"  # the other streams were synced
    assert raw_type(el_settings, "products", "quantity_available") == "NUMERIC"  # raw untouched
    log = last_log(el_settings, "products")
    assert log["status"] == "failed" and log["cursor_after"] == cursor_before  # state did not advance


def test_incompatible_change_is_not_retryable_in_airflow(
    el_settings: Settings, owner: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    from marketplace_elt.orchestration.tasks import extract_load_stream
    from tests.isolation import settings_env

    for key, value in settings_env(el_settings).items():
        monkeypatch.setenv(key, value)
    owner.execute("ALTER TABLE orders ALTER COLUMN confirmed_at TYPE timestamptz")  # DATETIME -> TIMESTAMP

    with pytest.raises(
        AirflowFailException, match=r"orders\.confirmed_at changed DATETIME → TIMESTAMP .*--full-refresh"
    ):
        extract_load_stream("orders")
    assert extract_load_stream("reviews")["status"] == "succeeded"


def test_full_refresh_applies_the_new_types(el_settings: Settings) -> None:
    results = m.by_stream(sync(el_settings, ["products", "orders"], full_refresh=True))
    assert all(r.succeeded for r in results.values())
    assert raw_type(el_settings, "products", "quantity_available") == "INT64"
    assert raw_type(el_settings, "orders", "confirmed_at") == "TIMESTAMP"
    assert raw_rows(el_settings, "products")[m.P1]["quantity_available"] == 3  # round(2.5) at the source
