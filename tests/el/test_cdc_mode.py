"""DELETE_CAPTURE=cdc: the loader reads deletes and in-place updates from logical replication (real services).

The embedded PostgreSQL runs with wal_level=logical; `source init` in CDC mode gives the read-only
role REPLICATION and creates the publications, and the first sync creates each stream's slot. The
fixture is the hand-written minisource plus a payment settling order ORD-2 (as in test_hard_deletes).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from marketplace_elt.bigquery import query_rows
from marketplace_elt.el import SyncResult, sync
from marketplace_elt.el.cdc import peek_changes, slot_name
from marketplace_elt.services.postgres import EmbeddedPostgres
from marketplace_elt.settings import Settings
from marketplace_sim import init
from tests.el import minisource as m
from tests.el.test_hard_deletes import PAY3, PAY3_ROW, raw, reconciliation
from tests.isolation import isolated_settings, workspace

STREAMS = ["payments", "reviews"]
CDC_ROLE = "marketplace_replicator_cdc"
R2 = "00000000-0000-4000-8000-0000000000e9"


def _as_role(url: str, role: str) -> str:
    parts = urlsplit(url)
    credentials = f"{role}:{parts.password}@" if parts.password is not None else f"{role}@"
    return urlunsplit((parts.scheme, credentials + parts.netloc.rpartition("@")[2], *parts[2:]))


@pytest.fixture(scope="module")
def cdc_settings(services: Settings) -> Iterator[Settings]:
    # roles are the server's: CDC gets its own read-only role so REPLICATION does not leak to the
    # role every other test module shares
    url = _as_role(isolated_settings(services, "cdc_mode").source_db_url, CDC_ROLE)
    workspace_ = workspace(services, "cdc_mode", delete_capture="cdc", source_db_url=url)
    isolated = next(workspace_)
    yield isolated
    # slots are the server's too: one left behind would hold WAL on the shared server
    # (the publications go with the database)
    with psycopg.connect(isolated.source_db_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ANY(%s)",
            [[slot_name(s) for s in STREAMS]],
        )
    next(workspace_, None)  # drops the database and datasets
    if not os.environ.get("TEST_KEEP_SERVICES"):
        with psycopg.connect(EmbeddedPostgres(services).superuser_conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(CDC_ROLE)))


def test_init_in_cdc_mode_can_be_repeated(cdc_settings: Settings) -> None:
    """Once the role has REPLICATION only a superuser may alter it; a second `source init` by the
    owner must still succeed (it leaves the password alone)."""
    init(cdc_settings)


@pytest.fixture(scope="module")
def owner(cdc_settings: Settings) -> Iterator[psycopg.Connection]:
    with psycopg.connect(cdc_settings.source_admin_url, autocommit=True) as conn:
        m.populate(conn)
        conn.execute(PAY3_ROW)
        # a later review: the reviews cursor then lies after R1's updated_at
        conn.execute(
            "INSERT INTO reviews (id, product_id, order_item_id, reviewer_id, rating, title, body, "
            "is_verified_purchase, helpful_votes, status, created_at, updated_at) "
            "SELECT %s, product_id, order_item_id, reviewer_id, 4, 'Later', body, is_verified_purchase, 0, status, "
            "created_at, updated_at + interval '1 day' FROM reviews WHERE id = %s",
            [R2, m.R1],
        )
        yield conn


def synced(settings: Settings) -> dict[str, SyncResult]:
    results = sync(settings, STREAMS)
    assert all(r.succeeded for r in results), [r.error for r in results]
    return {r.stream: r for r in results}


def slot_changes(settings: Settings, stream: str) -> int:
    with psycopg.connect(settings.source_db_url, autocommit=True) as conn:
        return peek_changes(conn, stream, "public", stream, ["id"]).changes


def test_init_prepares_replication_and_the_first_sync_creates_the_slots(
    cdc_settings: Settings, owner: psycopg.Connection
) -> None:
    replicator = psycopg.conninfo.conninfo_to_dict(cdc_settings.source_db_url)["user"]
    assert owner.execute("SELECT rolreplication FROM pg_roles WHERE rolname = %s", [replicator]).fetchone() == (True,)
    first = synced(cdc_settings)
    assert first["payments"].rows_read == 3 and first["payments"].rows_deleted == 0
    slots = {r[0] for r in owner.execute("SELECT slot_name FROM pg_replication_slots").fetchall()}
    assert {slot_name(s) for s in STREAMS} <= slots


def test_deletes_and_in_place_updates_come_from_the_slot(cdc_settings: Settings, owner: psycopg.Connection) -> None:
    owner.execute("DELETE FROM payments WHERE id = %s", [PAY3])
    # a moderation change that does not move the cursor (updated_at unchanged): only CDC sees it
    owner.execute("UPDATE reviews SET status = 'flagged' WHERE id = %s", [m.R1])
    # a payment stored and deleted between two syncs never reaches raw
    owner.execute(PAY3_ROW.replace(PAY3, "00000000-0000-4000-8000-0000000000d9").replace("evt_2", "evt_9"))
    owner.execute("DELETE FROM payments WHERE id = '00000000-0000-4000-8000-0000000000d9'")
    assert slot_changes(cdc_settings, "payments") == 3

    second = synced(cdc_settings)
    assert second["payments"].rows_deleted == 1 and second["reviews"].rows_deleted == 0
    payments = raw(cdc_settings, "payments")
    assert payments[PAY3]["_ab_cdc_deleted_at"] is not None
    assert "00000000-0000-4000-8000-0000000000d9" not in payments
    assert raw(cdc_settings, "reviews")[m.R1]["status"] == "flagged"
    # the applied changes were confirmed to the slots; nothing is applied twice
    assert slot_changes(cdc_settings, "payments") == slot_changes(cdc_settings, "reviews") == 0
    third = synced(cdc_settings)
    assert (third["payments"].rows_deleted, third["payments"].rows_written, third["reviews"].rows_written) == (0, 0, 0)


def test_the_deleted_payment_leaves_the_reconciliation(cdc_settings: Settings) -> None:
    from marketplace_elt.transform import run_dbt

    sync(cdc_settings)  # the other streams, for the orders
    run_dbt(cdc_settings, ["seed"])
    run_dbt(cdc_settings, ["run", "--select", "+fct_payment_reconciliation"])
    after: dict[str, dict[str, Any]] = reconciliation(cdc_settings)
    assert after[m.O2]["reconciliation_status"] == "underpaid" and float(after[m.O2]["captured_amount"]) == 0
    assert after[m.O1]["reconciliation_status"] == "duplicate-replay-detected"  # PAY1/PAY2 replay, untouched
    staged = query_rows(
        cdc_settings,
        f"SELECT payment_id FROM `{cdc_settings.bq_project}.{cdc_settings.staging_dataset}.stg_marketplace__payments`",
    )
    assert PAY3 not in {r["payment_id"] for r in staged}


def test_a_failed_sync_leaves_the_changes_in_the_slot(
    cdc_settings: Settings, owner: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace_elt.el import deletes
    from marketplace_elt.el.sync_log import SyncFailed

    owner.execute("DELETE FROM payments WHERE id = %s", [m.PAY2])

    def broken(*args: object, **kwargs: object) -> int:
        raise RuntimeError("warehouse went away")

    monkeypatch.setattr(deletes, "mark_keys", broken)
    with pytest.raises(SyncFailed):
        sync(cdc_settings, ["payments"])
    assert slot_changes(cdc_settings, "payments") == 1  # still there for the next sync
    monkeypatch.undo()
    assert synced(cdc_settings)["payments"].rows_deleted == 1
    assert raw(cdc_settings, "payments")[m.PAY2]["_ab_cdc_deleted_at"] is not None
