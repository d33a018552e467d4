"""The source DDL matches the product owner's specification, and the replication role is read-only.

The expected columns below are transcribed from the specification (not read from schema.sql) and
compared with what information_schema / pg_constraint report for the created database.
"""

from __future__ import annotations

import re
from typing import Any

import psycopg
import pytest

VARCHAR = "character varying"
TEXTLIKE = {VARCHAR, "text"}  # the specification leaves the width of these open
TS = "timestamp with time zone"
NAIVE_TS = "timestamp without time zone"


def vc(n: int) -> tuple[str, int]:
    return (VARCHAR, n)


def ch(n: int) -> tuple[str, int]:
    return ("character", n)


MONEY = ("numeric", 12, 2)

# table -> column -> expected type: a data_type, a set of acceptable data_types, (type, length) or
# ("numeric", precision, scale); "uuid[]"-style arrays are ("ARRAY", udt_name).
SPEC: dict[str, dict[str, Any]] = {
    "users": {
        "id": "uuid",
        "email": vc(255),
        "username": vc(100),
        "user_type": vc(20),
        "first_name": vc(100),
        "last_name": vc(100),
        "country_code": ch(2),
        "seller_tier": vc(20),
        "seller_rating": ("numeric", 3, 2),
        "created_at": TS,
        "updated_at": TS,
        "deleted_at": TS,
        "is_active": "boolean",
    },
    "categories": {
        "id": "integer",
        "name": TEXTLIKE,
        "slug": TEXTLIKE,
        "parent_id": "integer",
        "level": "integer",
        "is_active": "boolean",
        "created_at": TS,
    },
    "products": {
        "id": "uuid",
        "seller_id": "uuid",
        "category_id": "integer",
        "title": vc(500),
        "description": "text",
        "price_amount": MONEY,
        "price_currency": ch(3),
        "quantity_available": "integer",
        "status": TEXTLIKE,
        "tags": ("ARRAY", "_text"),
        "attributes": "jsonb",
        "created_at": TS,
        "updated_at": TS,
        "published_at": TS,
    },
    "orders": {
        "id": "uuid",
        "order_number": vc(20),
        "buyer_id": "uuid",
        "status": TEXTLIKE,
        "subtotal_amount": MONEY,
        "shipping_amount": MONEY,
        "tax_amount": MONEY,
        "discount_amount": MONEY,
        "total_amount": MONEY,
        "currency": ch(3),
        "shipping_country": ch(2),
        "shipping_city": TEXTLIKE,
        "shipping_postal_code": TEXTLIKE,
        "created_at": TS,
        "updated_at": TS,
        "confirmed_at": NAIVE_TS,
        "shipped_at": TS,
        "delivered_at": TS,
    },
    "order_items": {
        "id": "uuid",
        "order_id": "uuid",
        "product_id": "uuid",
        "seller_id": "uuid",
        "quantity": "integer",
        "unit_price": MONEY,
        "total_price": MONEY,
        "currency": ch(3),
        "product_title": TEXTLIKE,
        "product_snapshot": "jsonb",
        "created_at": TS,
    },
    "payments": {
        "id": "uuid",
        "order_id": "uuid",
        "payment_provider": vc(50),
        "payment_provider_id": TEXTLIKE,
        "amount": MONEY,
        "platform_fee": MONEY,
        "seller_payout": MONEY,
        "currency": ch(3),
        "status": TEXTLIKE,
        "created_at": TS,
        "processed_at": TS,
        "event_id": vc(100),
        "event_timestamp": TS,
    },
    "reviews": {
        "id": "uuid",
        "product_id": "uuid",
        "order_item_id": "uuid",
        "reviewer_id": "uuid",
        "rating": "integer",
        "title": TEXTLIKE,
        "body": TEXTLIKE,
        "is_verified_purchase": "boolean",
        "helpful_votes": "integer",
        "status": TEXTLIKE,
        "moderated_at": TS,
        "created_at": TS,
        "updated_at": TS,
    },
    "seller_tier_history": {
        "id": "integer",
        "user_id": "uuid",
        "tier": TEXTLIKE,
        "effective_from": TS,
        "effective_to": TS,
        "is_current": "boolean",
        "change_reason": TEXTLIKE,
        "created_at": TS,
    },
    "shipments": {
        "id": "uuid",
        "order_id": "uuid",
        "carrier": TEXTLIKE,
        "tracking_number": TEXTLIKE,
        "status": TEXTLIKE,
        "shipped_at": TS,
        "delivered_at": TS,
        "created_at": TS,
        "updated_at": TS,
    },
    "event_log": {
        "id": "bigint",
        "event_type": TEXTLIKE,
        "entity_type": TEXTLIKE,
        "entity_id": "uuid",
        "event_data": "jsonb",
        "event_timestamp": TS,
        "received_at": TS,
        "processed": "boolean",
    },
}

# columns the specification says are NOT NULL / nullable
NOT_NULL = {
    ("users", "email"),
    ("users", "username"),
    ("seller_tier_history", "effective_from"),
    ("shipments", "order_id"),
    ("shipments", "created_at"),
    ("shipments", "updated_at"),
}
NULLABLE = {
    ("shipments", "shipped_at"),
    ("shipments", "delivered_at"),
    ("users", "country_code"),
    ("users", "seller_tier"),
    ("users", "deleted_at"),
    ("seller_tier_history", "effective_to"),
    ("reviews", "order_item_id"),
}
# serial / bigserial ids
SERIAL = {"categories", "seller_tier_history", "event_log"}
FOREIGN_KEYS = {
    ("categories", "parent_id", "categories"),
    ("products", "seller_id", "users"),
    ("products", "category_id", "categories"),
    ("orders", "buyer_id", "users"),
    ("order_items", "order_id", "orders"),
    ("order_items", "product_id", "products"),
    ("order_items", "seller_id", "users"),
    ("payments", "order_id", "orders"),
    ("seller_tier_history", "user_id", "users"),
    ("shipments", "order_id", "orders"),
}
UNIQUE = {("users", "email"), ("categories", "slug"), ("orders", "order_number")}
ALLOWED = {
    ("users", "user_type"): {"buyer", "seller", "both"},
    ("users", "seller_tier"): {"bronze", "silver", "gold", "platinum"},
    ("products", "status"): {"draft", "active", "paused", "sold_out", "deleted"},
    ("orders", "status"): {"pending", "confirmed", "processing", "shipped", "delivered", "cancelled", "refunded"},
    ("payments", "status"): {"pending", "processing", "completed", "failed", "refunded", "disputed"},
    ("reviews", "status"): {"pending", "approved", "rejected", "flagged"},
    ("shipments", "status"): {"label_created", "in_transit", "delivered", "returned", "lost"},
}


@pytest.fixture(scope="module")
def schema(source_settings: Any) -> Any:
    from marketplace_sim import init

    init(source_settings)
    init(source_settings)  # idempotent
    return source_settings


def _columns(conn: psycopg.Connection[Any], table: str) -> dict[str, dict[str, Any]]:
    rows = conn.execute(
        "SELECT column_name, data_type, udt_name, character_maximum_length, numeric_precision, numeric_scale,"
        " is_nullable, column_default FROM information_schema.columns"
        " WHERE table_schema = 'public' AND table_name = %s",
        [table],
    ).fetchall()
    keys = ("data_type", "udt", "length", "precision", "scale", "nullable", "default")
    return {name: dict(zip(keys, rest, strict=True)) for name, *rest in rows}


@pytest.mark.parametrize("table", sorted(SPEC))
def test_columns_and_types_match_the_specification(schema: Any, owner: psycopg.Connection[Any], table: str) -> None:
    actual = _columns(owner, table)
    assert set(actual) == set(SPEC[table]), f"{table}: columns differ from the specification"
    for column, expected in SPEC[table].items():
        got = actual[column]
        where = f"{table}.{column}"
        if isinstance(expected, str):
            assert got["data_type"] == expected, where
        elif isinstance(expected, set):
            assert got["data_type"] in expected, where
        elif expected[0] == "numeric":
            assert (got["data_type"], got["precision"], got["scale"]) == expected, where
        elif expected[0] == "ARRAY":
            assert (got["data_type"], got["udt"]) == expected, where
        else:
            assert (got["data_type"], got["length"]) == expected, where
    for t, column in NOT_NULL:
        if t == table:
            assert actual[column]["nullable"] == "NO", f"{t}.{column} must be NOT NULL"
    for t, column in NULLABLE:
        if t == table:
            assert actual[column]["nullable"] == "YES", f"{t}.{column} must allow NULL"
    if table in SERIAL:
        assert str(actual["id"]["default"]).startswith("nextval("), f"{table}.id must be serial"


def _constraints(conn: psycopg.Connection[Any], kind: str) -> list[tuple[str, list[str], str | None, str]]:
    return [
        (table, list(cols), ref, definition)
        for table, cols, ref, definition in conn.execute(
            "SELECT c.conrelid::regclass::text, array_agg(a.attname ORDER BY a.attnum),"
            " c.confrelid::regclass::text, pg_get_constraintdef(c.oid)"
            " FROM pg_constraint c JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)"
            " JOIN pg_namespace n ON n.oid = c.connamespace"
            " WHERE n.nspname = 'public' AND c.contype = %s GROUP BY c.oid",
            [kind],
        ).fetchall()
    ]


def test_keys_and_foreign_keys(schema: Any, owner: psycopg.Connection[Any]) -> None:
    primary = {(table, tuple(cols)) for table, cols, _, _ in _constraints(owner, "p")}
    assert primary == {(table, ("id",)) for table in SPEC}
    foreign = {(table, cols[0], ref) for table, cols, ref, _ in _constraints(owner, "f")}
    assert foreign == FOREIGN_KEYS  # in particular none on reviews.product_id/reviewer_id, event_log.entity_id
    unique = {(table, cols[0]) for table, cols, _, _ in _constraints(owner, "u")}
    assert unique >= UNIQUE


def test_status_domains(schema: Any, owner: psycopg.Connection[Any]) -> None:
    checks: dict[tuple[str, str], set[str]] = {}
    for table, cols, _, definition in _constraints(owner, "c"):
        if len(cols) == 1:
            checks[(table, cols[0])] = set(re.findall(r"'([^']*)'", definition))
    for key, allowed in ALLOWED.items():
        assert checks.get(key) == allowed, f"{key}: allowed values {checks.get(key)}"
    rating = next(d for t, c, _, d in _constraints(owner, "c") if (t, c) == ("reviews", ["rating"]))
    assert "1" in rating and "5" in rating


def test_replicator_reads_but_cannot_write(schema: Any, owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim import seed

    seed(schema, scale=0.05, seed=1, reset=True)
    with psycopg.connect(schema.source_db_url, autocommit=True) as ro:
        user = ro.execute("SELECT current_user").fetchone()
        assert user is not None and user[0] != "marketplace_owner"
        for table in SPEC:
            ro.execute(f"SELECT count(*) FROM {table}").fetchone()
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            ro.execute(
                "INSERT INTO categories (id, name, slug, level, is_active, created_at)"
                " VALUES (999, 'x', 'x', 1, true, now())"
            )
        # even with the read-only default switched off, the role has no write privilege
        ro.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ro.execute(
                "INSERT INTO categories (id, name, slug, level, is_active, created_at)"
                " VALUES (999, 'x', 'x', 1, true, now())"
            )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ro.execute("UPDATE users SET username = 'x'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            ro.execute("SELECT count(*) FROM meta.fault_manifest")
