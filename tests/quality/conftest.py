"""Fixtures of the quality-gate tests: a tiny source database and tiny BigQuery tables.

Everything runs against the real embedded services (the session ``services`` fixture). Tables are
built with NDJSON load jobs (the emulator's reliable load path) and replaced by every test that
needs them, so tests do not depend on each other's order.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from marketplace_elt.el.catalog import load_catalog

Schema = list[tuple[str, str]]
MakeTable = Callable[[str, str, Schema, list[dict[str, Any]]], str]

# Rows of the source database used by every test (small on purpose: 2 cores shared).
SOURCE_ROWS: dict[str, list[str]] = {
    "users": [
        f"('00000000-0000-0000-0000-00000000000{n}', 'u{n}@x.io', 'u{n}', 'buyer', NULL, NULL, 'US', NULL, NULL, "
        "now(), now(), NULL, true)"
        for n in range(1, 4)
    ],
    "categories": [
        "(1, 'Books', 'books', NULL, 1, true, now())",
        "(2, 'Music', 'music', NULL, 1, true, now())",
    ],
    "seller_tier_history": [
        "(1, '00000000-0000-0000-0000-000000000001', 'bronze', now(), NULL, true, NULL, now())",
    ],
    "orders": [
        f"('10000000-0000-0000-0000-00000000000{n}', 'ORD-{n}', '00000000-0000-0000-0000-000000000001', 'pending', "
        "1, 0, 0, 0, 1, 'USD', 'US', NULL, NULL, now(), now(), NULL, NULL, NULL)"
        for n in range(1, 3)
    ],
    # three payment rows, two distinct events (a webhook replay of evt-1)
    "payments": [
        "('20000000-0000-0000-0000-000000000001', '10000000-0000-0000-0000-000000000001', 'stripe', NULL, 1, 0, 1, "
        "'USD', 'completed', now(), NULL, 'evt-1', now())",
        "('20000000-0000-0000-0000-000000000002', '10000000-0000-0000-0000-000000000001', 'stripe', NULL, 1, 0, 1, "
        "'USD', 'completed', now(), NULL, 'evt-1', now())",
        "('20000000-0000-0000-0000-000000000003', '10000000-0000-0000-0000-000000000002', 'stripe', NULL, 1, 0, 1, "
        "'USD', 'failed', now(), NULL, 'evt-2', now())",
    ],
}
SOURCE_TABLES = tuple(load_catalog().names)


@pytest.fixture(scope="module")
def services(services: Any) -> Iterator[Any]:
    """The session's servers, but a private source database and datasets: these tests replace tables
    and truncate the source, which must not touch what the pipeline run loaded for later tests."""
    from tests.isolation import create, drop, isolated_settings

    isolated = isolated_settings(services, "quality", prefix="test", all_datasets=True)
    create(services, isolated)
    yield isolated
    if not os.environ.get("TEST_KEEP_SERVICES"):
        drop(services, isolated)


@pytest.fixture(scope="module")
def source_db(services: Any, project_root: Path) -> Any:
    """The source schema (schema.sql + roles.sql) with a handful of rows, readable by the replicator."""
    import psycopg
    from psycopg import sql

    settings = services
    replicator = urlsplit(settings.source_db_url)
    with psycopg.connect(settings.source_admin_url, autocommit=True) as conn:
        conn.execute((project_root / "source_db" / "schema.sql").read_text())
        conn.execute((project_root / "source_db" / "roles.sql").read_text())
        conn.execute(
            sql.SQL("ALTER ROLE {} PASSWORD {}").format(
                sql.Identifier(unquote(replicator.username or "")), sql.Literal(unquote(replicator.password or ""))
            )
        )
        conn.execute(
            sql.SQL("TRUNCATE {} CASCADE").format(sql.SQL(", ").join(sql.Identifier(t) for t in SOURCE_TABLES))
        )
        for table, rows in SOURCE_ROWS.items():
            conn.execute(f"INSERT INTO {table} VALUES {', '.join(rows)}")  # fixed test literals
    return settings


@pytest.fixture(scope="module")
def bq(services: Any) -> Any:
    from marketplace_elt.bigquery import client

    return client(services)


@pytest.fixture
def make_table(services: Any, bq: Any) -> Iterator[MakeTable]:
    """``make_table(dataset, table, [(col, type)], rows)``: (re)create a table holding exactly ``rows``."""
    from google.cloud import bigquery

    settings = services
    # The marts gate checks the marts where they are built, before publishing.
    datasets = {"raw": settings.raw_dataset, "staging": settings.staging_dataset, "marts": settings.marts_audit_dataset}

    def make(dataset: str, table: str, schema: Schema, rows: list[dict[str, Any]]) -> str:
        table_id = f"{settings.bq_project}.{datasets[dataset]}.{table}"
        fields = [bigquery.SchemaField(name, kind) for name, kind in schema]
        bq.delete_table(table_id, not_found_ok=True)
        bq.create_table(bigquery.Table(table_id, schema=fields))
        if rows:
            payload = "".join(json.dumps(row, default=str) + "\n" for row in rows).encode()
            bq.load_table_from_file(
                io.BytesIO(payload),
                table_id,
                job_config=bigquery.LoadJobConfig(
                    source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON, schema=fields
                ),
            ).result()
        return table_id

    yield make


# The raw contract restated independently of the code under test: source udt_name -> BigQuery type.
RAW_TYPES = {
    "uuid": "STRING",
    "varchar": "STRING",
    "bpchar": "STRING",
    "text": "STRING",
    "_text": "JSON",
    "int4": "INT64",
    "int8": "INT64",
    "numeric": "NUMERIC",
    "bool": "BOOL",
    "timestamptz": "TIMESTAMP",
    "timestamp": "DATETIME",
    "jsonb": "JSON",
}
AIRBYTE_SCHEMA: Schema = [
    ("_airbyte_raw_id", "STRING"),
    ("_airbyte_extracted_at", "TIMESTAMP"),
    ("_airbyte_meta", "JSON"),
    ("_airbyte_generation_id", "INT64"),
]


def raw_schema(settings: Any, table: str) -> Schema:
    """The raw-contract schema of ``table``, from the source catalog."""
    import psycopg

    with psycopg.connect(settings.source_admin_url) as conn:
        cols = conn.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name = %s ORDER BY ordinal_position",
            [table],
        ).fetchall()
    return [*AIRBYTE_SCHEMA, *((name, RAW_TYPES[udt]) for name, udt in cols)]


def raw_rows(n: int) -> list[dict[str, Any]]:
    return [
        {
            "_airbyte_raw_id": f"00000000-0000-4000-8000-{i:012d}",
            "_airbyte_extracted_at": "2026-01-01T00:00:00Z",
            "_airbyte_meta": {"sync_id": 1, "changes": []},
            "_airbyte_generation_id": 0,
        }
        for i in range(n)
    ]


@pytest.fixture
def good_raw(source_db: Any, make_table: MakeTable) -> dict[str, Schema]:
    """Every raw table with its contract schema; full-refresh tables hold exactly the source count."""
    import psycopg

    schemas: dict[str, Schema] = {}
    with psycopg.connect(source_db.source_admin_url) as conn:
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in SOURCE_TABLES}  # type: ignore[index]
    for table in SOURCE_TABLES:
        schemas[table] = raw_schema(source_db, table)
        make_table("raw", table, schemas[table], raw_rows(max(counts[table], 1)))
    return schemas


# --- marts, in the shape the marts contract names (fct_orders, dim_users, mart_audit_daily) ---
FCT_ORDERS = [("order_id", "STRING"), ("buyer_id", "STRING"), ("gmv_usd", "NUMERIC")]
DIM_USERS = [("user_id", "STRING"), ("user_type", "STRING")]
AUDIT = [
    ("load_date", "DATE"),
    ("stream", "STRING"),
    ("nb_total", "INT64"),
    ("nb_invalid", "INT64"),
    ("error_rate", "FLOAT64"),
]


def audit_row(day: str, stream: str, total: int, invalid: int, rate: float | None = None) -> dict[str, Any]:
    return {
        "load_date": day,
        "stream": stream,
        "nb_total": total,
        "nb_invalid": invalid,
        "error_rate": invalid / total if rate is None else rate,
    }


GOOD_AUDIT = [
    audit_row("2026-01-01", "payments", 100, 40),  # an old bad load: only the latest one counts
    audit_row("2026-01-02", "payments", 100, 1),
    audit_row("2026-01-02", "orders", 50, 0),
]


@pytest.fixture
def good_marts(services: Any, make_table: MakeTable) -> None:
    make_table(
        "marts",
        "dim_users",
        DIM_USERS,
        [
            {"user_id": "u1", "user_type": "buyer"},
            {"user_id": "u2", "user_type": "both"},
        ],
    )
    make_table(
        "marts",
        "fct_orders",
        FCT_ORDERS,
        [
            {"order_id": "o1", "buyer_id": "u1", "gmv_usd": "10.50"},
            {"order_id": "o2", "buyer_id": "u2", "gmv_usd": "0"},
        ],
    )
    make_table("marts", "mart_audit_daily", AUDIT, GOOD_AUDIT)
