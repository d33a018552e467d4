"""Source-vs-raw comparisons shared by the extract-load tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

import psycopg

from marketplace_elt.bigquery import query_rows
from marketplace_elt.el import load_catalog
from marketplace_elt.settings import Settings


def _norm(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def source_versions(conn: psycopg.Connection, table: str, key: str, cursor: str | None) -> Counter[tuple[str, str]]:
    cur = f", {cursor}" if cursor else ", NULL"
    return Counter((str(k), _norm(c)) for k, c in conn.execute(f"SELECT {key}{cur} FROM {table}").fetchall())


def raw_versions(settings: Settings, table: str, key: str, cursor: str | None) -> Counter[tuple[str, str]]:
    cur = f", {cursor} AS c" if cursor else ", NULL AS c"
    rows = query_rows(settings, f"SELECT {key} AS k{cur} FROM `{settings.bq_project}.{settings.raw_dataset}.{table}`")
    return Counter((str(r["k"]), _norm(r["c"])) for r in rows)


def mismatches(settings: Settings, conn: psycopg.Connection) -> dict[str, str]:
    """Per stream, what differs between source and raw (empty when raw is exact).

    Deduped and full-refresh streams: raw holds exactly the source's rows, one per key, each at the
    source's current cursor value. Append streams: every source key exactly once.
    """
    problems: dict[str, str] = {}
    for stream in load_catalog().streams:
        (key,) = stream.primary_key
        cursor = stream.cursor_field if stream.deduped else None
        src = source_versions(conn, stream.name, key, cursor)
        raw = raw_versions(settings, stream.name, key, cursor)
        duplicates = [k for k, n in Counter(k for k, _ in raw.elements()).items() if n > 1]
        missing = src - raw
        extra = raw - src
        if duplicates or missing or extra:
            problems[stream.name] = (
                f"{len(duplicates)} duplicated keys, {sum(missing.values())} missing/stale, "
                f"{sum(extra.values())} extra (e.g. {list(missing)[:2]} {list(extra)[:2]} {duplicates[:2]})"
            )
    return problems
