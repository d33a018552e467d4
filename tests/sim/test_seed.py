"""The generator: deterministic, realistically shaped, and its fault manifest tells the truth."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest

from tests.sim.fingerprints import SCALE, SEED, TABLES, database_hash

# Currencies the marketplace trades in (spec: "USD, EUR, GBP, CAD, JPY, ..."); anything else is unknown.
TRADED = ("USD", "EUR", "GBP", "CAD", "JPY", "AUD", "CHF", "MXN")
# Carriers as they write their own names (spec of the shipments table).
CARRIERS = ("UPS", "FedEx", "DHL", "USPS", "DPD", "Royal Mail")
QUERY_PARAMS = {"traded": list(TRADED), "carriers": list(CARRIERS), "folded": [c.lower() for c in CARRIERS]}

# Payments that are the first delivery of their provider event (replays are counted apart).
FIRST_DELIVERIES = """
    SELECT * FROM (
        SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY created_at, id) AS delivery FROM payments
    ) d WHERE delivery = 1"""

# One query per fault, written from the fault definitions: the rows (primary keys as text) that
# carry the fault, found in the data alone.
FAULT_QUERIES: dict[str, str] = {
    "duplicate_payment_webhook": """
        SELECT id::text FROM (
            SELECT id, row_number() OVER (PARTITION BY event_id ORDER BY created_at, id) AS n FROM payments
        ) p WHERE n > 1""",
    "future_updated_at": "SELECT id::text FROM products WHERE updated_at > (SELECT sim_now FROM meta.sim_state)",
    # read in the documented zone (meta.sim_state.source_timezone; default UTC)
    "confirmed_at_wrong_zone": """
        SELECT id::text FROM orders, meta.sim_state s WHERE confirmed_at IS NOT NULL
          AND (confirmed_at AT TIME ZONE s.source_timezone < created_at - interval '1 hour'
               OR confirmed_at AT TIME ZONE s.source_timezone > created_at + interval '3 hours')""",
    "refund_status_on_payment": f"""
        SELECT id::text FROM ({FIRST_DELIVERIES}) p WHERE status = 'refunded' AND amount >= 0""",
    "null_payment_amount": f"SELECT id::text FROM ({FIRST_DELIVERIES}) p WHERE amount IS NULL",
    "pending_payment_webhook": f"SELECT id::text FROM ({FIRST_DELIVERIES}) p WHERE status = 'pending'",
    "seller_left_programme": """
        SELECT id::text FROM (
            SELECT id, effective_to, is_current,
                   lead(effective_from) OVER (PARTITION BY user_id ORDER BY effective_from) AS next_from
            FROM seller_tier_history
        ) h WHERE next_from IS NULL AND effective_to IS NOT NULL AND NOT is_current""",
    "user_type_changed": """
        SELECT u.id::text FROM users u WHERE u.user_type <> 'buyer'
          AND NOT EXISTS (SELECT 1 FROM seller_tier_history h WHERE h.user_id = u.id)""",
    "soft_deleted_user": "SELECT id::text FROM users WHERE deleted_at IS NOT NULL",
    "null_country_code": "SELECT id::text FROM users WHERE country_code IS NULL",
    "order_total_mismatch": """
        SELECT id::text FROM orders
        WHERE total_amount <> subtotal_amount + shipping_amount + tax_amount - discount_amount""",
    "unknown_currency": "SELECT id::text FROM orders WHERE currency <> ALL (%(traded)s)",
    "out_of_order_event": """
        SELECT id::text FROM (
            SELECT id, event_timestamp < max(event_timestamp) OVER (
                ORDER BY id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS late
            FROM event_log
        ) e WHERE late""",
    "shipment_carrier_name_variant": """
        SELECT id::text FROM shipments
        WHERE carrier <> ALL (%(carriers)s) AND lower(trim(carrier)) = ANY (%(folded)s)""",
    "shipment_tracking_number_unformatted": "SELECT id::text FROM shipments WHERE tracking_number ~ '[a-z ]'",
    "shipment_delivered_before_shipped": "SELECT id::text FROM shipments WHERE delivered_at < shipped_at",
    "orphan_review_product": """
        SELECT r.id::text FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM products p WHERE p.id = r.product_id)""",
    "orphan_review_reviewer": """
        SELECT r.id::text FROM reviews r WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = r.reviewer_id)""",
    "orphan_event_entity": """
        SELECT e.id::text FROM event_log e WHERE e.entity_id IS NOT NULL AND NOT CASE e.entity_type
            WHEN 'user' THEN EXISTS (SELECT 1 FROM users u WHERE u.id = e.entity_id)
            WHEN 'product' THEN EXISTS (SELECT 1 FROM products p WHERE p.id = e.entity_id)
            WHEN 'order' THEN EXISTS (SELECT 1 FROM orders o WHERE o.id = e.entity_id)
            ELSE false END""",
}


def assert_manifest_matches_data(conn: psycopg.Connection[Any]) -> None:
    """Every fault: the manifest's rows are exactly the rows the independent query finds."""
    from marketplace_sim import FAULT_NAMES

    assert set(FAULT_QUERIES) == set(FAULT_NAMES)
    for fault, query in FAULT_QUERIES.items():
        found = {r[0] for r in conn.execute(query, QUERY_PARAMS).fetchall()}
        listed = {r[0] for r in conn.execute("SELECT row_id FROM meta.fault_manifest WHERE fault = %s", [fault])}
        assert found, f"{fault}: no faulty rows at scale {SCALE}"
        assert listed == found, f"{fault}: manifest {len(listed)} rows, data {len(found)} rows"


@pytest.fixture(scope="module")
def first_seed(source_settings: Any) -> Any:
    from marketplace_sim import seed

    return seed(source_settings, scale=SCALE, seed=SEED, reset=True)


@pytest.fixture
def seeded(source_settings: Any, first_seed: Any, owner: psycopg.Connection[Any]) -> Any:
    """The standard test seed, reseeded when another test left different data behind."""
    from marketplace_sim import DEFAULT_FAULT_RATES, seed

    state = owner.execute("SELECT seed, scale, days_advanced, fault_rates FROM meta.sim_state").fetchone()
    if state is None or tuple(state) != (SEED, SCALE, 0, DEFAULT_FAULT_RATES):
        return source_settings, seed(source_settings, scale=SCALE, seed=SEED, reset=True)
    return source_settings, first_seed


def test_same_seed_same_bytes_other_seed_other_data(seeded: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import seed

    settings, _ = seeded
    first = database_hash(owner)
    seed(settings, scale=SCALE, seed=SEED, reset=True)
    assert database_hash(owner) == first
    seed(settings, scale=SCALE, seed=SEED + 1, reset=True)
    other = database_hash(owner)
    assert all(other[t] != first[t] for t in TABLES if t != "categories")
    seed(settings, scale=SCALE, seed=SEED, reset=True)
    assert database_hash(owner) == first


def test_volumes_follow_the_scale(seeded: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import TABLES as LOAD_ORDER
    from marketplace_sim import table_counts

    settings, report = seeded
    counts = table_counts(settings)
    assert tuple(counts) == LOAD_ORDER and set(LOAD_ORDER) == set(TABLES)
    # load order: every table after the tables its foreign keys point at
    for table, parent in owner.execute(
        "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c"
        " JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = 'public' AND c.contype = 'f'"
        " AND c.conrelid <> c.confrelid"
    ).fetchall():
        assert LOAD_ORDER.index(parent) < LOAD_ORDER.index(table), f"{table} loads before {parent}"
    assert counts["orders"] == 10_000 * SCALE
    assert 1.5 < counts["order_items"] / counts["orders"] < 2.2  # multi-item orders
    assert counts["payments"] >= 0.9 * counts["orders"]
    assert report.rows == counts


def test_every_fault_is_in_the_manifest_exactly(seeded: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import fault_counts

    settings, report = seeded
    assert_manifest_matches_data(owner)
    assert fault_counts(settings) == report.faults
    # some soft-deleted users have orders
    row = owner.execute(
        "SELECT count(DISTINCT u.id) FROM users u JOIN orders o ON o.buyer_id = u.id WHERE u.deleted_at IS NOT NULL"
    ).fetchone()
    assert row is not None and row[0] > 0


def test_fault_rates_can_be_overridden(source_settings: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import fault_counts, seed

    seed(source_settings, scale=0.05, seed=3, reset=True, fault_rates={"all": 0, "unknown_currency": 0.05})
    counts = fault_counts(source_settings)
    assert counts["unknown_currency"] == 25  # 5 % of 500 orders, exactly
    # out_of_order_event counts what the data shows; with no late deliveries, nothing is out of order
    assert sum(counts.values()) == counts["unknown_currency"]
    assert_consistent_shape(owner)


def assert_consistent_shape(conn: psycopg.Connection[Any]) -> None:
    def one(query: str) -> Any:
        row = conn.execute(query).fetchone()
        assert row is not None
        return row[0]

    # currencies follow seller countries; several of them appear
    assert one("SELECT count(DISTINCT price_currency) FROM products") >= 5
    assert (
        one("""SELECT count(*) FROM products p JOIN users u ON u.id = p.seller_id
                  WHERE u.country_code = 'JP' AND p.price_currency <> 'JPY'""")
        == 0
    )
    # items of an order share its currency and add up to its subtotal
    assert (
        one("""SELECT count(*) FROM orders o JOIN (
                    SELECT order_id, sum(total_price) AS s, min(currency) AS c, max(currency) AS c2
                    FROM order_items GROUP BY order_id) i ON i.order_id = o.id
                  WHERE i.s <> o.subtotal_amount OR i.c <> i.c2""")
        == 0
    )
    assert one("SELECT count(*) FROM order_items WHERE total_price <> unit_price * quantity") == 0
    # two-level category tree; listings hang off leaves
    assert one("SELECT max(level) FROM categories") == 2
    assert one("SELECT count(*) FROM categories c JOIN categories p ON p.id = c.parent_id WHERE p.level <> 1") == 0
    assert one("SELECT count(*) FROM products p JOIN categories c ON c.id = p.category_id WHERE c.level <> 2") == 0
    # lifecycles consistent with timestamps
    assert (
        one("""SELECT count(*) FROM orders WHERE
                    (status IN ('shipped', 'delivered', 'refunded') AND shipped_at IS NULL)
                    OR (status IN ('delivered', 'refunded') AND delivered_at IS NULL)
                    OR (status = 'pending' AND (confirmed_at IS NOT NULL OR shipped_at IS NOT NULL))
                    OR shipped_at < created_at OR delivered_at < shipped_at OR updated_at < created_at""")
        == 0
    )
    # parcels follow their order: none before processing or when cancelled, one or two after (a
    # processing order has only labels); statuses and carrier scans agree with the order's
    assert (
        one("""SELECT count(*) FROM orders o LEFT JOIN (
                    SELECT order_id, count(*) AS n, count(*) FILTER (WHERE status = 'label_created') AS labels
                    FROM shipments GROUP BY order_id) s ON s.order_id = o.id
                  WHERE (o.status IN ('pending', 'confirmed', 'cancelled') AND s.n IS NOT NULL)
                     OR (o.status IN ('processing', 'shipped', 'delivered', 'refunded')
                         AND coalesce(s.n, 0) NOT IN (1, 2))
                     OR (o.status = 'processing' AND s.labels <> s.n)""")
        == 0
    )
    assert (
        one("""SELECT count(*) FROM shipments s JOIN orders o ON o.id = s.order_id WHERE NOT CASE o.status
                    WHEN 'processing' THEN s.status = 'label_created'
                    WHEN 'shipped' THEN s.status = 'in_transit'
                    WHEN 'delivered' THEN s.status IN ('delivered', 'lost')
                    WHEN 'refunded' THEN s.status = 'returned'
                    ELSE false END""")
        == 0
    )
    # pickup scans up to 30 minutes before the order is marked shipped; delivery scans before it is
    # marked delivered (up to 18 h for an early parcel of a split order)
    assert (
        one("""SELECT count(*) FROM shipments s JOIN orders o ON o.id = s.order_id WHERE
                    (s.shipped_at IS NULL) <> (o.shipped_at IS NULL)
                    OR (s.delivered_at IS NULL) <> (o.delivered_at IS NULL)
                    OR s.shipped_at NOT BETWEEN o.shipped_at - interval '30 minutes' AND o.shipped_at
                    OR s.delivered_at > o.delivered_at
                    OR s.created_at > s.shipped_at OR s.updated_at < s.created_at
                    OR (s.delivered_at >= s.shipped_at AND s.delivered_at < o.delivered_at - interval '18 hours')""")
        == 0
    )
    # a delivery before the pickup only where the manifest says a carrier clock was wrong
    assert (
        one("""SELECT count(*) FROM shipments WHERE delivered_at < shipped_at AND id::text NOT IN (
                    SELECT row_id FROM meta.fault_manifest WHERE fault = 'shipment_delivered_before_shipped')""")
        == 0
    )
    # tier history: one current row per seller, except sellers who left the programme (their last row
    # is closed, with no successor, and users.seller_tier is NULL); periods chained without gaps;
    # users.seller_tier matches the current row
    assert (
        one("""SELECT count(*) FROM (SELECT user_id FROM seller_tier_history GROUP BY user_id
                  HAVING count(*) FILTER (WHERE is_current) > 1) s""")
        == 0
    )
    assert (
        one("""SELECT count(*) FROM (SELECT effective_to, lead(effective_from) OVER w AS next_from, is_current
                  FROM seller_tier_history WINDOW w AS (PARTITION BY user_id ORDER BY effective_from)) h
                  WHERE (is_current AND effective_to IS NOT NULL)
                     OR (NOT is_current AND next_from IS NOT NULL AND effective_to IS DISTINCT FROM next_from)
                     OR (NOT is_current AND next_from IS NULL AND effective_to IS NULL)""")
        == 0
    )
    assert (
        one("""SELECT count(*) FROM users u WHERE u.seller_tier IS NOT NULL AND NOT EXISTS (
                  SELECT 1 FROM seller_tier_history h WHERE h.user_id = u.id AND h.is_current)""")
        == 0
    )
    assert (
        one("""SELECT count(*) FROM users u JOIN seller_tier_history h ON h.user_id = u.id AND h.is_current
                  WHERE u.seller_tier IS DISTINCT FROM h.tier""")
        == 0
    )


def test_realistic_shape(seeded: Any, owner: psycopg.Connection[Any]) -> None:
    assert_consistent_shape(owner)
    row = owner.execute("SELECT array_agg(DISTINCT change_reason) FROM seller_tier_history").fetchone()
    assert row is not None and {"sales_volume_upgrade", "fast_track_upgrade", "performance_downgrade"} <= set(row[0])
    dates = owner.execute("SELECT min(created_at), max(created_at) FROM orders").fetchone()
    assert dates is not None
    assert str(dates[0]) >= "2026-05-05" and str(dates[1]) < "2026-11-01"
    # some orders ship as two parcels; every carrier appears, most names and numbers as carriers write them
    split = owner.execute(
        "SELECT avg((n = 2)::int) FROM (SELECT count(*) AS n FROM shipments GROUP BY order_id) s"
    ).fetchone()
    assert split is not None and 0.03 < split[0] < 0.15
    carriers = {
        r[0] for r in owner.execute("SELECT DISTINCT carrier FROM shipments WHERE carrier = ANY (%s)", [list(CARRIERS)])
    }
    assert carriers == set(CARRIERS)
    state = owner.execute("SELECT sim_now, seed, scale FROM meta.sim_state").fetchone()
    assert state is not None and str(state[0]).startswith("2026-11-01") and state[1] == SEED
