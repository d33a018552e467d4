"""Rows hard-deleted at the source, through raw, staging and the reconciliation mart (real services).

Streams declared `deletes: hard` (payments, reviews) get their deleted rows marked in raw with
`_ab_cdc_deleted_at`; staging leaves them out and the incremental reconciliation mart recomputes
the order they belonged to. The fixture is the hand-written minisource plus a second payment that
settles order ORD-2, so deleting it must turn that order from balanced into underpaid.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest

from marketplace_elt.bigquery import query_rows
from marketplace_elt.el import SyncResult, sync
from marketplace_elt.settings import Settings
from tests.el import minisource as m
from tests.isolation import workspace

PAY3 = "00000000-0000-4000-8000-0000000000d3"
PAY3_ROW = (
    "INSERT INTO payments (id, order_id, payment_provider, payment_provider_id, amount, platform_fee, "
    "seller_payout, currency, status, created_at, processed_at, event_id, event_timestamp) VALUES "
    f"('{PAY3}', '{m.O2}', 'stripe', 'ch_2', 0.10, 0.01, 0.09, 'USD', 'completed', "
    "'2026-10-07 08:01:00+00', '2026-10-07 08:01:05+00', 'evt_2', '2026-10-07 08:01:00+00')"
)
MART = "+fct_payment_reconciliation"


@pytest.fixture(scope="module")
def del_settings(services: Settings) -> Iterator[Settings]:
    """A private source database and raw/staging/marts datasets."""
    yield from workspace(services, "hard_deletes")


@pytest.fixture(scope="module")
def owner(del_settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(del_settings.source_admin_url, autocommit=True) as conn:
        m.populate(conn)
        conn.execute(PAY3_ROW)
        yield conn


def by_stream(results: list[SyncResult]) -> dict[str, SyncResult]:
    assert all(r.succeeded for r in results), [r.error for r in results if not r.succeeded]
    return {r.stream: r for r in results}


def raw(settings: Settings, table: str) -> dict[str, dict[str, Any]]:
    sql = f"SELECT * FROM `{settings.bq_project}.{settings.raw_dataset}.{table}`"
    return {r["id"]: r for r in query_rows(settings, sql)}


def reconciliation(settings: Settings) -> dict[str, dict[str, Any]]:
    sql = (
        "SELECT order_id, reconciliation_status, captured_amount FROM "
        f"`{settings.bq_project}.{settings.marts_audit_dataset}.fct_payment_reconciliation`"
    )
    return {r["order_id"]: r for r in query_rows(settings, sql)}


def staged_ids(settings: Settings, model: str, key: str) -> set[str]:
    sql = f"SELECT {key} FROM `{settings.bq_project}.{settings.staging_dataset}.{model}`"
    return {r[key] for r in query_rows(settings, sql)}


@pytest.fixture(scope="module")
def before(del_settings: Settings, owner: psycopg.Connection) -> dict[str, dict[str, Any]]:
    """Everything synced and the reconciliation built once (into the marts build dataset), before any delete."""
    from marketplace_elt.transform import run_dbt

    first = by_stream(sync(del_settings))
    assert first["payments"].rows_deleted == 0
    run_dbt(del_settings, ["seed"])
    run_dbt(del_settings, ["run", "--select", MART])
    return reconciliation(del_settings)


def test_the_fixture_order_is_balanced_before_the_delete(before: dict[str, dict[str, Any]]) -> None:
    assert before[m.O2]["reconciliation_status"] == "balanced"
    assert float(before[m.O2]["captured_amount"]) == pytest.approx(0.10)


def test_a_hard_delete_is_marked_in_raw_once(
    del_settings: Settings, owner: psycopg.Connection, before: dict[str, dict[str, Any]]
) -> None:
    owner.execute("DELETE FROM payments WHERE id = %s", [PAY3])
    owner.execute("DELETE FROM reviews WHERE id = %s", [m.R1])
    synced = by_stream(sync(del_settings, ["payments", "reviews"]))
    assert (synced["payments"].rows_deleted, synced["reviews"].rows_deleted) == (1, 1)

    payments = raw(del_settings, "payments")
    assert payments[PAY3]["_ab_cdc_deleted_at"] is not None
    assert payments[PAY3]["_airbyte_extracted_at"] == payments[PAY3]["_ab_cdc_deleted_at"]
    assert payments[m.PAY1]["_ab_cdc_deleted_at"] is None and payments[m.PAY2]["_ab_cdc_deleted_at"] is None
    assert raw(del_settings, "reviews")[m.R1]["_ab_cdc_deleted_at"] is not None

    # nothing changed since: the next sync marks nothing again and keeps the first deletion time
    again = by_stream(sync(del_settings, ["payments", "reviews"]))
    assert (again["payments"].rows_deleted, again["reviews"].rows_deleted) == (0, 0)
    assert raw(del_settings, "payments")[PAY3]["_ab_cdc_deleted_at"] == payments[PAY3]["_ab_cdc_deleted_at"]

    logged = query_rows(
        del_settings,
        f"SELECT stream, SUM(rows_deleted) AS n FROM `{del_settings.bq_project}.{del_settings.raw_dataset}"
        ".el_sync_log` GROUP BY stream",
    )
    assert {r["stream"]: r["n"] for r in logged if r["stream"] in ("payments", "reviews")} == {
        "payments": 1,
        "reviews": 1,
    }


def test_the_deleted_payment_leaves_staging_and_the_incremental_reconciliation(
    del_settings: Settings, before: dict[str, dict[str, Any]]
) -> None:
    from marketplace_elt.transform import run_dbt

    run_dbt(del_settings, ["run", "--select", MART])  # incremental: only the touched orders
    after = reconciliation(del_settings)
    assert after[m.O2]["reconciliation_status"] == "underpaid"
    assert float(after[m.O2]["captured_amount"]) == 0
    assert after[m.O1] == before[m.O1]  # the other order is untouched
    assert PAY3 not in staged_ids(del_settings, "stg_marketplace__payments", "payment_id")

    run_dbt(del_settings, ["run", "--select", "stg_marketplace__reviews"])
    assert m.R1 not in staged_ids(del_settings, "stg_marketplace__reviews", "review_id")


def test_a_key_written_again_after_its_delete_lives_again(del_settings: Settings, owner: psycopg.Connection) -> None:
    assert raw(del_settings, "payments")[PAY3]["_ab_cdc_deleted_at"] is not None
    owner.execute(PAY3_ROW)
    synced = by_stream(sync(del_settings, ["payments"]))
    assert synced["payments"].rows_deleted == 0
    row = raw(del_settings, "payments")[PAY3]
    assert row["_ab_cdc_deleted_at"] is None and float(row["amount"]) == pytest.approx(0.10)


def test_the_airbyte_branch_reconciles_raw_tables_written_without_the_cdc_column(
    del_settings: Settings, owner: psycopg.Connection
) -> None:
    """Airbyte's incremental (non-CDC) raw tables have no `_ab_cdc_deleted_at`: the task adds and sets it."""
    import dataclasses

    from marketplace_elt.bigquery import client
    from marketplace_elt.el.deletes import reconcile_streams

    airbyte = dataclasses.replace(del_settings, raw_dataset=f"{del_settings.raw_dataset}_airbyte")
    bq = client(airbyte)
    bq.create_dataset(f"{airbyte.bq_project}.{airbyte.raw_dataset}", exists_ok=True)
    for table in ("payments", "reviews"):  # raw as Airbyte left it: every row live, no CDC column
        bq.query(
            f"CREATE OR REPLACE TABLE `{airbyte.bq_project}.{airbyte.raw_dataset}.{table}` AS "
            f"SELECT * EXCEPT (_ab_cdc_deleted_at) FROM `{del_settings.bq_project}.{del_settings.raw_dataset}.{table}`"
        ).result()
    assert raw(airbyte, "reviews")[m.R1].get("_ab_cdc_deleted_at", "absent") == "absent"

    try:
        assert reconcile_streams(airbyte, sync_id=42) == {"payments": 0, "reviews": 1}  # R1 is gone at the source
        reviews = raw(airbyte, "reviews")
        assert reviews[m.R1]["_ab_cdc_deleted_at"] is not None
        assert reviews[m.R1]["_airbyte_meta"]["sync_id"] == 42
        assert all(row["_ab_cdc_deleted_at"] is None for row in raw(airbyte, "payments").values())
    finally:
        bq.delete_dataset(f"{airbyte.bq_project}.{airbyte.raw_dataset}", delete_contents=True, not_found_ok=True)


def test_reconciliation_skips_the_key_diff_only_when_the_key_sets_are_equal(
    del_settings: Settings, owner: psycopg.Connection, caplog: pytest.LogCaptureFixture, tmp_path: Any
) -> None:
    """Equal key sets: nothing is marked and no key is moved. A raw key the source lacks is still found
    when the source holds, at the same time, a key raw has not seen yet (equal counts, different keys)."""
    from datetime import UTC, datetime

    from marketplace_elt.bigquery import client
    from marketplace_elt.el.catalog import load_catalog
    from marketplace_elt.el.deletes import reconcile
    from marketplace_elt.el.extract import connect_source

    catalog = load_catalog()
    payments = catalog.select(["payments"])[0]
    bq = client(del_settings)
    by_stream(sync(del_settings, ["payments"]))
    with connect_source(del_settings) as conn, caplog.at_level("INFO", logger="marketplace_elt.el.deletes"):
        assert reconcile(conn, bq, del_settings, catalog.source_schema, payments, 90, datetime.now(UTC), tmp_path) == 0
    assert "match raw's live keys" in caplog.text

    ghost = "00000000-0000-4000-8000-0000000000e9"  # live in raw, never in the source
    unseen = "00000000-0000-4000-8000-0000000000ea"  # in the source, not synced yet
    table = f"`{del_settings.bq_project}.{del_settings.raw_dataset}.payments`"
    bq.query(f"INSERT INTO {table} SELECT * REPLACE ('{ghost}' AS id) FROM {table} WHERE id = '{m.PAY1}'").result()
    owner.execute(PAY3_ROW.replace(PAY3, unseen).replace("'evt_2'", "'evt_unseen'"))
    caplog.clear()
    with connect_source(del_settings) as conn, caplog.at_level("INFO", logger="marketplace_elt.el.deletes"):
        assert reconcile(conn, bq, del_settings, catalog.source_schema, payments, 91, datetime.now(UTC), tmp_path) == 1
    assert "match raw's live keys" not in caplog.text
    rows = raw(del_settings, "payments")
    assert rows[ghost]["_ab_cdc_deleted_at"] is not None
    assert rows[m.PAY1]["_ab_cdc_deleted_at"] is None and unseen not in rows
