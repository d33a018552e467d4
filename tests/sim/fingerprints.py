"""The test seed and table fingerprints shared by the source-database tests."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

SCALE = 0.2  # 2,000 orders: every fault appears, and a seed takes about a second
SEED = 11
TABLES = (
    "users",
    "categories",
    "seller_tier_history",
    "products",
    "orders",
    "order_items",
    "payments",
    "reviews",
    "event_log",
    "shipments",
)


def table_hash(conn: psycopg.Connection[Any], table: str) -> str:
    """md5 over every row of the table in primary-key order (the rows' full text form)."""
    row = conn.execute(
        sql.SQL("SELECT md5(coalesce(string_agg(t::text, E'\\n' ORDER BY t.id), '')) FROM {} AS t").format(
            sql.Identifier(table)
        )
    ).fetchone()
    assert row is not None
    return str(row[0])


def database_hash(conn: psycopg.Connection[Any]) -> dict[str, str]:
    return {table: table_hash(conn, table) for table in TABLES}
