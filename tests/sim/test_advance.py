"""The change simulator: what an incremental extraction sees after `source advance`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
import pytest

from tests.sim.fingerprints import SCALE, SEED, database_hash
from tests.sim.test_seed import assert_consistent_shape, assert_manifest_matches_data

CURSOR_TABLES = ("users", "products", "orders", "reviews", "shipments")


def _rows(conn: psycopg.Connection[Any], table: str) -> dict[str, tuple[str, Any]]:
    """id -> (md5 of the row, updated_at)."""
    return {
        key: (digest, updated)
        for key, digest, updated in conn.execute(
            f"SELECT id::text, md5(t::text), updated_at FROM {table} AS t"
        ).fetchall()
    }


def _now(conn: psycopg.Connection[Any]) -> Any:
    row = conn.execute("SELECT sim_now FROM meta.sim_state").fetchone()
    assert row is not None
    return row[0]


@pytest.fixture
def fresh_seed(source_settings: Any) -> Any:
    from marketplace_sim import seed

    seed(source_settings, scale=SCALE, seed=SEED, reset=True)
    return source_settings


def test_cursor_on_updated_at_sees_every_change(fresh_seed: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import advance

    before = {t: _rows(owner, t) for t in CURSOR_TABLES}
    then = _now(owner)
    # the extraction cursor: the greatest updated_at not in the future (future ones are a fault)
    cursor = {t: max(u for _, u in rows.values() if u <= then) for t, rows in before.items()}
    report = advance(fresh_seed, 1)
    now = _now(owner)
    assert now == then + timedelta(days=1)
    assert report.sim_now == now
    for table in CURSOR_TABLES:
        after = _rows(owner, table)
        changed = {k for k, (digest, _) in after.items() if before[table].get(k, ("",))[0] != digest}
        seen = {k for k, (_, updated) in after.items() if updated > cursor[table]}
        assert changed, f"{table}: advance changed nothing"
        assert changed <= seen, f"{table}: {len(changed - seen)} changed rows a cursor on updated_at misses"
        # what else the cursor returns are the rows already dated in the future (a known fault)
        assert all(before[table][k][1] > then for k in seen - changed), f"{table}: rows re-dated without a change"
        assert all(then < after[k][1] <= now for k in changed if after[k][1] <= now)
    orders_before = len(before["orders"])
    updated = sum(
        1
        for k, (digest, _) in _rows(owner, "orders").items()
        if k in before["orders"] and before["orders"][k][0] != digest
    )
    assert 0.005 <= updated / orders_before <= 0.03, f"{updated} of {orders_before} orders changed in a day"


def test_several_days_keep_the_data_consistent_and_the_manifest_true(
    fresh_seed: Any, owner: psycopg.Connection[Any]
) -> None:
    from marketplace_sim import advance, fault_counts

    seeded = fault_counts(fresh_seed)
    report = advance(fresh_seed, 10)
    assert_consistent_shape(owner)
    assert_manifest_matches_data(owner)
    grown = fault_counts(fresh_seed)
    assert grown["duplicate_payment_webhook"] > seeded["duplicate_payment_webhook"]  # more replays
    for change in (
        "orders.late_arriving",
        "users.tier_changed",
        "seller_tier_history.closed",
        "orders.status_changed",
        "products.updated",
        "reviews.moderated",
        "shipments.inserted",
        "shipments.status_changed",
    ):
        assert report.changes.get(change, 0) > 0, change
    # refunds happen as days pass: a refunded order and its reversal payment
    row = owner.execute(
        "SELECT count(*) FROM orders o JOIN payments p ON p.order_id = o.id AND p.status = 'refunded'"
        " WHERE o.status = 'refunded' AND o.updated_at > '2026-11-01' AND p.amount < 0"
    ).fetchone()
    assert row is not None and row[0] > 0
    # late-arriving orders: placed days ago, inserted (updated_at) now, their events received now
    row = owner.execute(
        "SELECT count(*) FROM orders o JOIN event_log e ON e.entity_id = o.id AND e.event_type = 'order.placed'"
        " WHERE e.received_at - e.event_timestamp > interval '1 day' AND o.updated_at >= e.received_at"
        " AND o.created_at = e.event_timestamp"
    ).fetchone()
    assert row is not None and row[0] >= report.changes["orders.late_arriving"] * 0.5
    log = owner.execute("SELECT count(DISTINCT day_index) FROM meta.change_log").fetchone()
    assert log is not None and log[0] == 10


def test_advance_moves_parcels_with_their_orders(fresh_seed: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import advance

    before = dict(owner.execute("SELECT id::text, status FROM orders").fetchall())
    parcels = dict(owner.execute("SELECT id::text, status FROM shipments").fetchall())
    then = _now(owner)
    advance(fresh_seed, 2)
    moved = {
        order: status
        for order, status in owner.execute("SELECT id::text, status FROM orders").fetchall()
        if before.get(order) != status and status in ("processing", "shipped", "delivered", "refunded")
    }
    assert moved, "no order moved along its lifecycle in two days"
    expected = {
        "processing": "label_created",
        "shipped": "in_transit",
        "delivered": "delivered",
        "refunded": "returned",
    }
    rows = owner.execute(
        "SELECT id::text, order_id::text, status, updated_at FROM shipments WHERE order_id = ANY (%s::uuid[])",
        [list(moved)],
    ).fetchall()
    assert {order for _, order, _, _ in rows} == set(moved), "an order that moved on has no parcel"
    for parcel, order, status, updated in rows:
        assert status == expected[moved[order]] or (status == "lost" and moved[order] == "delivered"), parcel
        assert updated > then, f"parcel {parcel} changed without a later updated_at"
        assert parcels.get(parcel) != status, f"parcel {parcel} did not change with its order"


def test_advance_is_deterministic_day_by_day_or_at_once(fresh_seed: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import advance, seed

    advance(fresh_seed, 3)
    at_once = database_hash(owner)
    seed(fresh_seed, scale=SCALE, seed=SEED, reset=True)
    for _ in range(3):
        advance(fresh_seed, 1)
    assert database_hash(owner) == at_once


def test_advance_needs_a_generated_source(fresh_seed: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_elt.errors import UserError
    from marketplace_sim import advance

    owner.execute("DELETE FROM meta.sim_state")
    with pytest.raises(UserError, match="source seed"):
        advance(fresh_seed, 1)
    for bad in (0, -1, 100_000):
        with pytest.raises(UserError, match="--days"):
            advance(fresh_seed, bad)
