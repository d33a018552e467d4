"""Rows whose cursor moves backwards, and rows changed in place inside the look-back (real services).

The loader's rule (docs/extract-load.md, "Which version raw keeps"): the latest extraction of a row
supersedes the earlier one when its content differs, whatever its cursor. Airbyte's dedup (greatest
cursor first) would keep a future-dated version for ever once the source corrects it to an earlier
time; these tests pin the exact rows of that story, from the source to staging.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from marketplace_elt.bigquery import query_rows
from marketplace_elt.el import SyncResult, sync
from marketplace_elt.settings import Settings
from tests.el import minisource as m
from tests.isolation import workspace


@pytest.fixture(scope="module")
def corr_settings(services: Settings) -> Iterator[Settings]:
    """A private source database, raw and staging dataset (dbt builds staging views here)."""
    yield from workspace(services, "corrections")


@pytest.fixture(scope="module")
def owner(corr_settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(corr_settings.source_admin_url, autocommit=True) as conn:
        m.populate(conn)
        yield conn


def raw(settings: Settings, table: str) -> dict[str, dict[str, Any]]:
    return {
        r["id"]: r
        for r in query_rows(settings, f"SELECT * FROM `{settings.bq_project}.{settings.raw_dataset}.{table}`")
    }


def one(results: list[SyncResult]) -> SyncResult:
    assert len(results) == 1 and results[0].status == "succeeded", results
    return results[0]


def test_future_updated_at_corrected_to_an_earlier_time_reaches_raw(
    corr_settings: Settings, owner: psycopg.Connection
) -> None:
    one(sync(corr_settings, ["products"]))
    # a writer bug stamps P2 a month ahead; the sync loads that version
    owner.execute("UPDATE products SET updated_at = now() + interval '30 days', title = 'future' WHERE id = %s", [m.P2])
    one(sync(corr_settings, ["products"]))
    future = raw(corr_settings, "products")[m.P2]
    assert future["title"] == "future" and future["updated_at"] > datetime.now(UTC)

    # the source corrects the row: an earlier updated_at (its real change time) and the right title
    owner.execute("UPDATE products SET updated_at = now(), title = 'Case (corrected)' WHERE id = %s", [m.P2])
    corrected = one(sync(corr_settings, ["products"]))
    assert corrected.rows_written == 1
    rows = raw(corr_settings, "products")
    assert rows[m.P2]["title"] == "Case (corrected)"
    assert rows[m.P2]["updated_at"] < future["updated_at"]  # the cursor moved backwards, the row still won
    assert rows[m.P2]["_airbyte_extracted_at"] > future["_airbyte_extracted_at"]
    assert rows[m.P1]["title"] == 'Phone, "Pro"'  # untouched rows stay as they were

    # an identical re-read writes nothing
    assert one(sync(corr_settings, ["products"])).rows_written == 0


def test_staging_shows_the_corrected_row(corr_settings: Settings, owner: psycopg.Connection) -> None:
    from marketplace_elt.transform import run_dbt

    run_dbt(corr_settings, ["run", "--select", "stg_marketplace__products"])
    staged = {
        r["product_id"]: r
        for r in query_rows(
            corr_settings,
            "SELECT product_id, product_title, is_future_dated FROM "
            f"`{corr_settings.bq_project}.{corr_settings.staging_dataset}.stg_marketplace__products`",
        )
    }
    assert staged[m.P2]["product_title"] == "Case (corrected)"
    assert staged[m.P2]["is_future_dated"] is False


def test_payment_changed_in_place_within_the_look_back_replaces_its_raw_row(
    corr_settings: Settings, owner: psycopg.Connection
) -> None:
    one(sync(corr_settings, ["payments"]))
    assert raw(corr_settings, "payments")[m.PAY1]["status"] == "completed"
    # the provider's refund is recorded on the charge itself (created_at inside the 7-day look-back
    # of the saved cursor, which is PAY2's created_at)
    owner.execute("UPDATE payments SET status = 'refunded' WHERE id = %s", [m.PAY1])
    changed = one(sync(corr_settings, ["payments"]))
    assert changed.rows_written == 1
    rows = raw(corr_settings, "payments")
    assert len(rows) == 2
    assert rows[m.PAY1]["status"] == "refunded" and rows[m.PAY2]["status"] == "completed"
