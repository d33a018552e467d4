"""Figures derived from the raw measurements of a bench run: ratios, ceilings, the peer and targets.

Pure functions of numbers already measured (no service is touched), so the arithmetic behind
every ratio and verdict of the report can be checked on hand-given numbers.

The loader's path has two ceilings, both measured in the same run on the same rows: the binary
COPY of the source table (what PostgreSQL and the client can read) and a bare load job of the
Parquet file the loader writes into a fresh table (what the BigQuery side can ingest). The loader
can be no faster than the slower of the two, so ``ratio_to_ceiling`` divides its speed by the lower
ceiling speed; ``path_ceiling`` names which one that is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketplace_bench.report import Target

# Goals judged by the report (PASS/FAIL, never asserted).
EL_VS_COPY_MIN = 0.5
EL_VS_CEILING_MIN = 0.9
INCREMENTAL_EL_MAX_STRICT = 0.05
INCREMENTAL_EL_MAX = 0.1
INCREMENTAL_DBT_MAX = 0.2
COSMOS_VS_PLAIN_MAX = 1.5
DAG_PARSE_MAX_S = 0.3


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator to 4 significant digits (None when either is missing or zero)."""
    if not numerator or not denominator:
        return None
    return float(f"{numerator / denominator:.4g}")


def rate(rows: int | None, seconds: float | None) -> float | None:
    """rows / seconds rounded to 0.1 (None when there is no time to divide by)."""
    if rows is None or not seconds:
        return None
    return round(rows / seconds, 1)


def ceiling_figures(
    loader_rows_per_s: float | None, copy_rows_per_s: float | None, load_rows_per_s: float | None
) -> dict[str, Any]:
    """The loader's speed against both ceilings of its path and against the lower of the two.

    A ceiling that was not measured (None or 0) is left out of the minimum; with neither, every
    ratio is None.
    """
    ceilings = {name: v for name, v in (("copy", copy_rows_per_s), ("load", load_rows_per_s)) if v}
    lower = min(ceilings, key=lambda name: ceilings[name]) if ceilings else None
    return {
        "ratio_to_copy": ratio(loader_rows_per_s, copy_rows_per_s),
        "ratio_to_load_ceiling": ratio(loader_rows_per_s, load_rows_per_s),
        "path_ceiling": lower,
        "ceiling_rows_per_s": ceilings[lower] if lower else None,
        "ratio_to_ceiling": ratio(loader_rows_per_s, ceilings[lower]) if lower else None,
    }


def stream_row(
    stream: str,
    sync_mode: str,
    rows: int,
    seconds: float,
    copy: Mapping[str, Any] | None,
    load: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """One stream of a sync with its COPY and bare-load baselines and the ratios between them.

    ``copy`` holds ``rows``, ``seconds``, ``bytes`` of the binary COPY; ``load`` holds ``rows``,
    ``seconds``, ``parquet_bytes``, ``extract_seconds`` of the bare load job (either may be None).
    """
    loader_rps = rate(rows, seconds)
    copy_rps = rate(copy["rows"], copy["seconds"]) if copy else None
    load_rps = rate(load["rows"], load["seconds"]) if load else None
    row: dict[str, Any] = {
        "stream": stream,
        "sync_mode": sync_mode,
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": loader_rps,
        "copy_rows": copy["rows"] if copy else None,
        "copy_seconds": round(copy["seconds"], 4) if copy else None,
        "copy_bytes": copy["bytes"] if copy else None,
        "copy_rows_per_s": copy_rps,
        "ceiling_load_rows": load["rows"] if load else None,
        "ceiling_load_seconds": round(load["seconds"], 4) if load else None,
        "ceiling_load_rows_per_s": load_rps,
        "ceiling_parquet_bytes": load["parquet_bytes"] if load else None,
        "ceiling_extract_seconds": round(load["extract_seconds"], 4) if load else None,
    }
    row.update(ceiling_figures(loader_rps, copy_rps, load_rps))
    return row


def total_row(streams: list[dict[str, Any]], wall_seconds: float | None) -> dict[str, Any]:
    """Every stream of one ``sync()`` call together.

    ``wall_seconds`` is the whole call (connecting, the sync log, reading state, then the streams);
    ``streams_seconds`` the sum of the streams' own durations, ``setup_seconds`` the difference.
    ``seconds`` and ``rows_per_s`` use the wall time. The baselines are summed over the same
    streams (a stream without one counts as not measured for the total).
    """
    rows = sum(int(s["rows"]) for s in streams)
    streams_s = sum(float(s["seconds"]) for s in streams)
    wall = wall_seconds if wall_seconds is not None else streams_s
    copies = [s for s in streams if s.get("copy_seconds") is not None]
    loads = [s for s in streams if s.get("ceiling_load_seconds") is not None]
    copy_s = sum(float(s["copy_seconds"]) for s in copies) if len(copies) == len(streams) else None
    load_s = sum(float(s["ceiling_load_seconds"]) for s in loads) if len(loads) == len(streams) else None
    total: dict[str, Any] = {
        "rows": rows,
        "wall_seconds": round(wall, 3),
        "streams_seconds": round(streams_s, 3),
        "setup_seconds": round(max(0.0, wall - streams_s), 3),
        "seconds": round(wall, 3),
        "rows_per_s": rate(rows, wall),
        "streams_rows_per_s": rate(rows, streams_s),
        "copy_seconds": round(copy_s, 4) if copy_s is not None else None,
        "copy_rows_per_s": rate(rows, copy_s),
        "ceiling_load_seconds": round(load_s, 4) if load_s is not None else None,
        "ceiling_load_rows_per_s": rate(rows, load_s),
    }
    total.update(ceiling_figures(total["rows_per_s"], total["copy_rows_per_s"], total["ceiling_load_rows_per_s"]))
    return total


def disk_growth(before: int | None, after: int | None) -> int | None:
    """Bytes the emulator's data directory grew by (negative if it shrank; None if not measured)."""
    if before is None or after is None:
        return None
    return after - before


def peer_summary(configurations: Mapping[str, Mapping[str, Any]], loader_rows_per_s: float | None) -> dict[str, Any]:
    """The fastest available peer configuration and the loader's speed against it.

    ``configurations`` maps a name to ``{"available": bool, "rows_per_s": ..., ...}``; a
    configuration that is not available is never the fastest.
    """
    available = {n: c for n, c in configurations.items() if c.get("available") and c.get("rows_per_s")}
    fastest = max(available, key=lambda n: float(available[n]["rows_per_s"])) if available else None
    return {
        "available": bool(available),
        "fastest": fastest,
        "fastest_rows_per_s": available[fastest]["rows_per_s"] if fastest else None,
        "loader_rows_per_s": loader_rows_per_s,
        "loader_vs_peer": ratio(loader_rows_per_s, available[fastest]["rows_per_s"]) if fastest else None,
    }


def _stream(el: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    return next((s for s in el.get("streams", []) if s.get("stream") == name), None)


def el_targets(el: Mapping[str, Any]) -> list[Target]:
    """Targets of the first full sync (the orders stream): against COPY and against its path ceiling."""
    orders = _stream(el, "orders") or {}
    lower = orders.get("path_ceiling")
    return [
        Target(
            name="el_orders_vs_copy",
            description="orders full sync speed / binary COPY speed",
            value=orders.get("ratio_to_copy"),
            op=">=",
            threshold=EL_VS_COPY_MIN,
            unit="x",
        ),
        Target(
            name="el_orders_vs_ceiling",
            description="orders full sync speed / its path ceiling (lower of binary COPY and bare load job)",
            value=orders.get("ratio_to_ceiling"),
            op=">=",
            threshold=EL_VS_CEILING_MIN,
            unit="x",
            note=f"ceiling: {'binary COPY' if lower == 'copy' else 'bare load job'}" if lower else "",
        ),
    ]


def incremental_targets(incremental: Mapping[str, Any]) -> list[Target]:
    """Targets of the incremental phase, on wall times of whole ``sync()`` calls and dbt builds."""
    return [
        Target(
            name="incremental_el_vs_full",
            description="incremental EL time / full sync time (wall)",
            value=incremental.get("el_ratio"),
            op="<",
            threshold=INCREMENTAL_EL_MAX_STRICT,
            unit="x",
        ),
        Target(
            name="incremental_el_vs_full_sync",
            description="incremental sync wall time / full sync wall time",
            value=incremental.get("el_ratio"),
            op="<=",
            threshold=INCREMENTAL_EL_MAX,
            unit="x",
        ),
        Target(
            name="incremental_dbt_vs_full",
            description="incremental `dbt build` time / full `dbt build` time",
            value=incremental.get("dbt_ratio"),
            op="<=",
            threshold=INCREMENTAL_DBT_MAX,
            unit="x",
        ),
    ]


def cosmos_target(dbt: Mapping[str, Any]) -> Target:
    return Target(
        name="cosmos_vs_plain_dbt",
        description="dbt groups under Cosmos / plain `dbt build`",
        value=dbt.get("ratio"),
        op="<=",
        threshold=COSMOS_VS_PLAIN_MAX,
        unit="x",
    )


def parse_target(median_s: float | None) -> Target:
    return Target(
        name="dag_parse",
        description="DAG file parse in the DAG processor, median",
        value=median_s,
        op="<",
        threshold=DAG_PARSE_MAX_S,
        unit=" s",
    )
