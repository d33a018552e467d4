"""The extraction limit of this machine: `COPY (SELECT ...) TO STDOUT (FORMAT binary)`, read and discarded.

Same rows and columns as the loader's full sync (every column of the table, in the table's order),
same read-only role and URL, psycopg 3 on the client side; nothing is parsed or kept. The fastest
of ``repeats`` reads is reported: the baseline is what the hardware can do, not the average luck.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import psycopg
from psycopg import sql

from marketplace_elt.settings import Settings


@dataclass(frozen=True)
class CopyResult:
    table: str
    rows: int
    seconds: float
    bytes: int

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
        "ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def copy_once(conn: psycopg.Connection, schema: str, table: str) -> CopyResult:
    columns = _columns(conn, schema, table)
    select = sql.SQL("SELECT {} FROM {}").format(
        sql.SQL(", ").join(sql.Identifier(c) for c in columns), sql.Identifier(schema, table)
    )
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(select)
    count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))).fetchone()
    size = 0
    started = time.perf_counter()
    with conn.cursor().copy(statement) as copy:
        for chunk in copy:
            size += len(chunk)
    seconds = time.perf_counter() - started
    return CopyResult(table=table, rows=int(count[0]) if count else 0, seconds=seconds, bytes=size)


def copy_baseline(
    settings: Settings, tables: list[str], schema: str = "public", repeats: int = 3
) -> dict[str, CopyResult]:
    """Fastest of ``repeats`` binary COPY reads per table."""
    results: dict[str, CopyResult] = {}
    with psycopg.connect(settings.source_db_url, autocommit=True, application_name="marketplace-elt bench") as conn:
        for table in tables:
            best: CopyResult | None = None
            for _ in range(max(1, repeats)):
                result = copy_once(conn, schema, table)
                if best is None or result.seconds < best.seconds:
                    best = result
            assert best is not None
            results[table] = best
    return results
