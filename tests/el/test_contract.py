"""The raw contract, value by value, on hand-written rows (real PostgreSQL, real BigQuery emulator).

Tests run in order and share one source database and raw dataset: each builds on the sync before.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from marketplace_elt.bigquery import client, query_rows
from marketplace_elt.el import STREAMS, last_syncs, load_catalog, sync
from marketplace_elt.errors import ServiceError
from marketplace_elt.settings import Settings
from tests.el import minisource as m

AIRBYTE = ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id"]


LEGACY = {"INTEGER": "INT64", "BOOLEAN": "BOOL", "FLOAT": "FLOAT64"}


def types(settings: Settings, table: str) -> dict[str, str]:
    schema = client(settings).get_table(f"{settings.bq_project}.{settings.raw_dataset}.{table}").schema
    return {f.name: LEGACY.get(f.field_type, f.field_type) for f in schema}


def rows(settings: Settings, table: str, order: str = "id") -> list[dict[str, Any]]:
    return query_rows(
        settings, f"SELECT * FROM `{settings.bq_project}.{settings.raw_dataset}.{table}` ORDER BY {order}"
    )


def test_first_sync_copies_every_table(el_settings: Settings, owner: psycopg.Connection, first_sync: dict) -> None:
    source = m.counts(owner)
    assert set(first_sync) == set(STREAMS) == set(m.TABLES)
    for table, count in source.items():
        result = first_sync[table]
        assert result.status == "succeeded"
        assert result.rows_read == result.rows_written == count, table
        assert len(rows(el_settings, table)) == count, table


def test_raw_tables_have_airbyte_layout(el_settings: Settings, first_sync: dict) -> None:
    bq = client(el_settings)
    catalog = load_catalog()
    for stream in catalog.streams:
        table = bq.get_table(f"{el_settings.bq_project}.{el_settings.raw_dataset}.{stream.name}")
        names = [f.name for f in table.schema]
        assert names[:4] == AIRBYTE
        assert [(LEGACY.get(f.field_type, f.field_type), f.mode) for f in table.schema[:4]] == [
            ("STRING", "REQUIRED"),
            ("TIMESTAMP", "REQUIRED"),
            ("JSON", "REQUIRED"),
            ("INT64", "NULLABLE"),
        ]
        assert table.time_partitioning is not None and table.time_partitioning.field == "_airbyte_extracted_at"
        assert table.time_partitioning.type_ == "DAY"
        assert table.clustering_fields == list(stream.primary_key)
    products = types(el_settings, "products")
    assert products["id"] == "STRING" and products["category_id"] == "INT64" and products["price_amount"] == "NUMERIC"
    assert products["tags"] == "JSON" and products["attributes"] == "JSON" and products["updated_at"] == "TIMESTAMP"
    orders = types(el_settings, "orders")
    assert orders["confirmed_at"] == "DATETIME" and orders["currency"] == "STRING"
    users = types(el_settings, "users")
    assert users["is_active"] == "BOOL" and users["seller_rating"] == "NUMERIC"


def test_values_survive_exactly(el_settings: Settings, first_sync: dict) -> None:
    users = {r["id"]: r for r in rows(el_settings, "users")}
    assert users[m.U1]["last_name"] == ""  # empty string stays an empty string ...
    assert users[m.U2]["first_name"] is None  # ... and NULL stays NULL
    assert users[m.U2]["last_name"] == 'O\'Brien, "Bo"\nsecond line'
    assert users[m.U1]["created_at"] == datetime(2026, 5, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert users[m.U1]["seller_rating"] == Decimal("4.75") and users[m.U2]["is_active"] is False

    products = {r["id"]: r for r in rows(el_settings, "products")}
    p1 = products[m.P1]
    assert p1["tags"] == ["new", "a,b", 'quote"d', ""]
    assert p1["attributes"] == {"color": "black", "dims": {"w": 7.1, "h": 14.6}, "ports": [1, 2]}
    assert p1["description"] == "Zürich édition ✓" and p1["title"] == 'Phone, "Pro"'
    assert p1["price_amount"] == Decimal("999.99") and products[m.P2]["price_amount"] == Decimal("0.10")
    assert p1["updated_at"] == datetime(2026, 10, 3, 12, 0, 0, 1, tzinfo=UTC)
    assert products[m.P2]["tags"] is None and products[m.P2]["attributes"] is None

    orders = {r["id"]: r for r in rows(el_settings, "orders")}
    assert orders[m.O1]["confirmed_at"] == datetime(2026, 10, 4, 4, 5, 6, 500000)  # naive stays naive
    assert orders[m.O2]["shipping_city"] == "" and orders[m.O2]["shipping_country"] is None

    events = rows(el_settings, "event_log")
    assert [e["id"] for e in events] == [1, 2] and events[0]["event_data"] == {"total": 1084.99, "items": 1}
    assert [p["event_id"] for p in rows(el_settings, "payments")] == ["evt_1", "evt_1"]  # replays kept raw


def test_airbyte_columns(el_settings: Settings, first_sync: dict) -> None:
    sync_id = first_sync["orders"].sync_id
    for table in m.TABLES:
        for r in rows(el_settings, table):
            uuid.UUID(r["_airbyte_raw_id"])
            assert r["_airbyte_meta"] == {"sync_id": sync_id, "changes": []}
            assert r["_airbyte_generation_id"] == 0
            assert r["_airbyte_extracted_at"] == first_sync[table].started_at
        ids = [r["_airbyte_raw_id"] for r in rows(el_settings, table)]
        assert len(set(ids)) == len(ids)


def test_rerun_without_changes_writes_nothing(
    el_settings: Settings, owner: psycopg.Connection, first_sync: dict
) -> None:
    before = {t: rows(el_settings, t) for t in m.TABLES}
    again = m.by_stream(sync(el_settings))
    catalog = load_catalog()
    for stream in catalog.streams:
        result = again[stream.name]
        assert result.status == "succeeded"
        if stream.incremental:
            assert result.rows_written == 0, stream.name
            assert rows(el_settings, stream.name) == before[stream.name], stream.name  # not even metadata changed
            assert result.rows_read >= 1  # rows at the saved cursor are re-read (and found unchanged)
        else:  # full refresh: same rows again, as a new generation
            after = rows(el_settings, stream.name)
            strip = lambda rs: [{k: v for k, v in r.items() if not k.startswith("_airbyte")} for r in rs]  # noqa: E731
            assert strip(after) == strip(before[stream.name])
            assert {r["_airbyte_generation_id"] for r in after} == {1}
    log = query_rows(
        el_settings,
        f"SELECT * FROM `{el_settings.bq_project}.{el_settings.raw_dataset}.el_sync_log` "
        "WHERE stream = 'orders' ORDER BY sync_id",
    )
    assert [r["status"] for r in log] == ["succeeded", "succeeded"]
    assert log[1]["cursor_before"] == log[0]["cursor_after"] == log[1]["cursor_after"]
    assert datetime.fromisoformat(log[0]["cursor_after"]) == datetime(2026, 10, 7, 8, tzinfo=UTC)
    assert log[0]["cursor_before"] is None and log[0]["rows_read"] == 2 and log[0]["duration_s"] > 0


def test_changes_ties_and_late_rows(el_settings: Settings, owner: psycopg.Connection, first_sync: dict) -> None:
    # A newer version of an order; a change that keeps updated_at equal to the saved cursor (a tie
    # goes to the later extraction); a payment arriving late with a created_at before the cursor;
    # a new event; a category renamed in place (full refresh sees it).
    owner.execute("UPDATE orders SET status = 'refunded', updated_at = '2026-10-09 00:00:00+00' WHERE id = %s", [m.O1])
    owner.execute("UPDATE orders SET shipping_city = 'Bern' WHERE id = %s", [m.O2])  # updated_at stays = cursor
    late = "00000000-0000-4000-8000-0000000000d3"
    owner.execute(
        "INSERT INTO payments SELECT %s, order_id, payment_provider, 'ch_2', amount, platform_fee, seller_payout, "
        "currency, 'refunded', created_at - interval '1 day', processed_at, 'evt_2', event_timestamp "
        "FROM payments WHERE id = %s",
        [late, m.PAY1],
    )
    owner.execute(
        "INSERT INTO event_log (event_type, entity_type, entity_id, event_timestamp, received_at) "
        "VALUES ('order.refunded', 'order', %s, '2026-10-09 00:00:00+00', '2026-10-09 00:00:01+00')",
        [m.O1],
    )
    owner.execute("UPDATE categories SET name = 'Phones' WHERE id = 2")
    result = m.by_stream(sync(el_settings, ["orders", "payments", "event_log", "categories"]))
    assert result["orders"].rows_written == 2
    orders = {r["id"]: r for r in rows(el_settings, "orders")}
    assert len(orders) == 2 == len(rows(el_settings, "orders"))
    assert orders[m.O1]["status"] == "refunded" and orders[m.O2]["shipping_city"] == "Bern"
    assert orders[m.O1]["_airbyte_meta"]["sync_id"] == result["orders"].sync_id
    assert result["payments"].rows_written == 1
    payments = rows(el_settings, "payments")
    assert sorted(p["id"] for p in payments) == sorted([m.PAY1, m.PAY2, late])
    assert result["event_log"].rows_written == 1 and len(rows(el_settings, "event_log")) == 3
    assert {c["id"]: c["name"] for c in rows(el_settings, "categories")} == {1: "Electronics", 2: "Phones"}


def test_future_cursor_does_not_hide_later_changes(el_settings: Settings, owner: psycopg.Connection) -> None:
    owner.execute("UPDATE products SET updated_at = now() + interval '30 days', title = 'future' WHERE id = %s", [m.P2])
    first = m.by_stream(sync(el_settings, ["products"]))["products"]
    assert datetime.fromisoformat(first.cursor_after or "") <= datetime.now(UTC)  # held at the source's clock
    owner.execute("UPDATE products SET updated_at = now(), title = 'Phone 2' WHERE id = %s", [m.P1])
    sync(el_settings, ["products"])
    titles = {r["id"]: r["title"] for r in rows(el_settings, "products")}
    assert titles == {m.P1: "Phone 2", m.P2: "future"}


def test_added_and_dropped_columns(el_settings: Settings, owner: psycopg.Connection) -> None:
    owner.execute("ALTER TABLE orders ADD COLUMN gift_note text, ADD COLUMN loyalty_points integer")
    owner.execute(
        "UPDATE orders SET gift_note = 'for you', loyalty_points = 7, updated_at = '2026-10-10 00:00:00+00' "
        "WHERE id = %s",
        [m.O1],
    )
    added = m.by_stream(sync(el_settings, ["orders"]))["orders"]
    assert added.rows_written == 1
    assert list(types(el_settings, "orders").items())[-2:] == [("gift_note", "STRING"), ("loyalty_points", "INT64")]
    orders = {r["id"]: r for r in rows(el_settings, "orders")}
    assert orders[m.O1]["gift_note"] == "for you" and orders[m.O1]["loyalty_points"] == 7
    assert orders[m.O2]["gift_note"] is None  # rows not re-read since keep NULL, like Airbyte
    assert {"field": "gift_note", "change": "ADDED", "reason": "SOURCE_SCHEMA_CHANGE"} in orders[m.O1]["_airbyte_meta"][
        "changes"
    ]

    owner.execute("UPDATE orders SET loyalty_points = 8, updated_at = '2026-10-11 00:00:00+00' WHERE id = %s", [m.O2])
    steady = m.by_stream(sync(el_settings, ["orders"]))["orders"]
    assert steady.rows_written == 1
    assert {r["id"]: r for r in rows(el_settings, "orders")}[m.O2]["_airbyte_meta"]["changes"] == []

    owner.execute("ALTER TABLE orders DROP COLUMN gift_note")
    owner.execute("UPDATE orders SET updated_at = '2026-10-12 00:00:00+00' WHERE id = %s", [m.O1])
    sync(el_settings, ["orders"])
    orders = {r["id"]: r for r in rows(el_settings, "orders")}
    assert "gift_note" in orders[m.O1] and orders[m.O1]["gift_note"] is None  # the column stays, NULL now
    assert {"field": "gift_note", "change": "NULLED", "reason": "SOURCE_SCHEMA_CHANGE"} in orders[m.O1][
        "_airbyte_meta"
    ]["changes"]

    # The staging-side drift test (dbt, severity warn) names the change in plain words.
    from marketplace_elt.quality.schema_changes import schema_changes

    report = schema_changes(el_settings)
    assert any(line.startswith("orders.gift_note was dropped at the source") for line in report), report
    assert not any("errored" in line or "no readable result" in line for line in report), report


def test_full_refresh_on_demand(el_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from marketplace_elt.cli import main

    before = rows(el_settings, "orders")
    monkeypatch.setenv("SOURCE_ADMIN_DB_URL", el_settings.source_admin_url)
    monkeypatch.setenv("SOURCE_DB_URL", el_settings.source_db_url)
    monkeypatch.setenv("BQ_RAW_DATASET", el_settings.raw_dataset)
    assert main(["el", "sync", "--stream", "orders", "--full-refresh"]) == 0
    after = rows(el_settings, "orders")
    assert [r["id"] for r in after] == [r["id"] for r in before]
    assert {r["_airbyte_generation_id"] for r in after} == {max(r["_airbyte_generation_id"] for r in before) + 1}
    log = query_rows(
        el_settings,
        f"SELECT sync_mode, cursor_before, rows_read FROM "
        f"`{el_settings.bq_project}.{el_settings.raw_dataset}.el_sync_log` "
        "WHERE stream = 'orders' ORDER BY sync_id DESC LIMIT 1",
    )
    assert log == [{"sync_mode": "full_refresh_overwrite", "cursor_before": None, "rows_read": 2}]


def test_status_lists_every_stream(el_settings: Settings) -> None:
    status = {r["stream"]: r for r in last_syncs(el_settings)}
    assert set(status) == set(STREAMS)
    assert all(r["status"] == "succeeded" for r in status.values())
    assert status["orders"]["state"] == status["orders"]["cursor_after"]
    assert status["categories"]["state"] is None


def test_unreachable_source_fails_fast_in_one_line(el_settings: Settings) -> None:
    import dataclasses

    dead = dataclasses.replace(
        el_settings, source_db_url="postgresql://marketplace_replicator:x@127.0.0.1:1/marketplace"
    )
    started = time.monotonic()
    with pytest.raises(ServiceError) as err:
        sync(dead, ["orders"])
    assert time.monotonic() - started < 10
    assert "cannot connect to the source database at 127.0.0.1:1" in str(err.value) and "\n" not in str(err.value)


def test_unreachable_bigquery_fails_in_one_line_before_reading_the_source(el_settings: Settings) -> None:
    import dataclasses

    dead = dataclasses.replace(el_settings, bq_emulator_port=1)
    with pytest.raises(ServiceError) as err:
        sync(dead, ["orders"])
    message = str(err.value)
    assert "BigQuery at http://127.0.0.1:1 is not reachable" in message and "\n" not in message
    assert "marketplace-elt services up" in message


def test_sync_result_is_json_ready(first_sync: dict) -> None:
    json.dumps(first_sync["orders"].as_dict())
    assert first_sync["orders"].as_dict()["rows_per_s"] >= 0
    assert timedelta(0) <= first_sync["orders"].finished_at - first_sync["orders"].started_at
