"""Benchmark results: the JSON document written to `bench/results/` and its Markdown rendering.

The document is a plain dict (see `docs/benchmarks.md` for its fields) so it can be read back by
anyone without this package. Every speed is paired with the baseline measured in the same run, and
every target is recorded with its value, threshold and verdict; a target that could not be
measured says why (``passed: null``), never a guessed number.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketplace_elt.settings import PROJECT_ROOT

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Target:
    """A goal from the product owner, judged on a number measured in this run."""

    name: str
    description: str
    value: float | None
    op: str  # ">=", "<", "<="
    threshold: float
    unit: str = ""
    note: str = ""

    @property
    def passed(self) -> bool | None:
        if self.value is None:
            return None
        if self.op == ">=":
            return self.value >= self.threshold
        if self.op == "<":
            return self.value < self.threshold
        return self.value <= self.threshold

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "passed": self.passed}


def result_path(started: datetime, directory: Path = RESULTS_DIR) -> Path:
    return directory / f"{started.astimezone(UTC).strftime('%Y-%m-%dT%H-%M-%SZ')}.json"


def write_result(result: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2, default=str) + "\n")
    return path


# ----------------------------------------------------------------------------------------------
# Markdown


def _n(value: float | int | None, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 1:
        return f"{seconds:.3f} s"
    return f"{seconds:,.1f} s" if seconds < 600 else f"{seconds / 60:,.1f} min"


def _x(ratio: float | None, digits: int = 2) -> str:
    return "—" if ratio is None else f"{ratio:.{digits}f}x"


def _verdict(passed: bool | None) -> str:
    return "n/a" if passed is None else ("PASS" if passed else "FAIL")


def _machine_line(machine: dict[str, Any]) -> str:
    load = machine.get("load_average_at_start")
    load_text = f", load average at start {load[0]:.2f}" if load else ""
    return (
        f"Machine: {machine.get('cores')} cores, {machine.get('ram_gib')} GiB RAM, {machine.get('cpu_model')}, "
        f"{machine.get('os')}, Python {machine.get('python')}{load_text}."
    )


def _mib(size: int | None) -> str:
    """A byte count as signed MiB (a growth), or — when not measured."""
    if size is None:
        return "—"
    return f"{size / (1 << 20):+,.1f} MiB"


EL_HEADER = (
    "| stream | rows | sync | loader rows/s | binary COPY | COPY rows/s | bare load | load rows/s "
    "| loader / COPY | loader / load | loader / ceiling |"
)


def _el_row(label: str, row: dict[str, Any]) -> str:
    return (
        f"| {label} | {_n(row['rows'])} | {_s(row['seconds'])} | {_n(row['rows_per_s'])} | "
        f"{_s(row.get('copy_seconds'))} | {_n(row.get('copy_rows_per_s'))} | "
        f"{_s(row.get('ceiling_load_seconds'))} | {_n(row.get('ceiling_load_rows_per_s'))} | "
        f"{_x(row.get('ratio_to_copy'), 3)} | {_x(row.get('ratio_to_load_ceiling'), 3)} | "
        f"{_x(row.get('ratio_to_ceiling'), 3)} |"
    )


def _el_table(el: dict[str, Any]) -> list[str]:
    """One sync's streams against both ceilings, then its whole-call wall time and disk growth."""
    lines = [EL_HEADER, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [_el_row(row["stream"], row) for row in el.get("streams", [])]
    total = el.get("total")
    if total:
        lines.append(_el_row("**all streams** (wall)", total))
        lines += [
            "",
            f"Whole `sync()` call: {_s(total.get('wall_seconds'))} wall = streams "
            f"{_s(total.get('streams_seconds'))} + setup {_s(total.get('setup_seconds'))} (connect, sync log, "
            f"state); emulator data directory {_mib(el.get('disk_growth_bytes'))}.",
        ]
    return lines


def _figures(result: dict[str, Any]) -> list[list[str]]:
    rows: list[list[str]] = []
    el = result.get("el") or {}
    orders = next((r for r in el.get("streams", []) if r["stream"] == "orders"), None)
    if orders:
        rows.append(
            [
                "orders full sync (embedded loader)",
                f"{_n(orders['rows_per_s'])} rows/s",
                f"binary COPY {_n(orders.get('copy_rows_per_s'))} rows/s",
                _x(orders.get("ratio_to_copy"), 3),
            ]
        )
        rows.append(
            [
                "orders full sync vs the emulator's bare Parquet load job",
                f"{_n(orders['rows_per_s'])} rows/s",
                f"bare load {_n(orders.get('ceiling_load_rows_per_s'))} rows/s",
                _x(orders.get("ratio_to_load_ceiling"), 3),
            ]
        )
        lower = {"copy": "binary COPY", "load": "bare load"}.get(str(orders.get("path_ceiling")), "—")
        rows.append(
            [
                "orders full sync vs its path ceiling (lower of the two)",
                f"{_n(orders['rows_per_s'])} rows/s",
                f"{lower} {_n(orders.get('ceiling_rows_per_s'))} rows/s",
                _x(orders.get("ratio_to_ceiling"), 3),
            ]
        )
    resync = el.get("resync") or {}
    re_orders = next((r for r in resync.get("streams", []) if r["stream"] == "orders"), None)
    if re_orders:
        re_lower = {"copy": "binary COPY", "load": "bare load"}.get(str(re_orders.get("path_ceiling")), "—")
        rows.append(
            [
                "orders re-sync into the existing raw table vs its path ceiling",
                f"{_n(re_orders['rows_per_s'])} rows/s",
                f"{re_lower} {_n(re_orders.get('ceiling_rows_per_s'))} rows/s",
                _x(re_orders.get("ratio_to_ceiling"), 3),
            ]
        )
    if el.get("total") and resync.get("total"):
        rows.append(
            [
                "re-sync of every stream, whole `sync()` call",
                _s(resync["total"].get("wall_seconds")),
                f"first full sync {_s(el['total'].get('wall_seconds'))}",
                _x(_quotient(resync["total"].get("wall_seconds"), el["total"].get("wall_seconds"))),
            ]
        )
    peer = result.get("peer")
    if peer:
        rows += _peer_rows(peer)
    inc = result.get("incremental")
    if inc:
        rows.append(
            [
                f"incremental EL after `source advance --days {inc.get('days', 1)}` "
                f"({_n(inc.get('changed_pct'), 2)} % of rows read), whole `sync()` call",
                _s(inc.get("el_seconds")),
                f"full sync {_s(inc.get('full_el_seconds'))}",
                _x(inc.get("el_ratio"), 3),
            ]
        )
        if inc.get("el_streams_seconds") is not None:
            rows.append(
                [
                    "incremental EL, sum of the streams' own durations",
                    _s(inc.get("el_streams_seconds")),
                    f"full sync {_s(inc.get('full_el_streams_seconds'))}",
                    _x(inc.get("el_streams_ratio"), 3),
                ]
            )
        rows.append(
            [
                "incremental dbt build",
                _s(inc.get("dbt_seconds")),
                f"full dbt build {_s(inc.get('full_dbt_seconds'))}",
                _x(inc.get("dbt_ratio")),
            ]
        )
    disk = [
        ("full sync into empty raw tables", el.get("disk_growth_bytes") if el else None),
        ("re-sync into the existing raw tables", resync.get("disk_growth_bytes")),
        ("incremental sync", (inc or {}).get("el_disk_growth_bytes")),
        ("incremental sync + incremental dbt build", (inc or {}).get("disk_growth_bytes")),
    ]
    if el or inc:
        for label, size in disk:
            if size is not None:
                rows.append([f"emulator data directory growth: {label}", _mib(size), "whole data directory", "—"])
    dbt = result.get("dbt")
    if dbt:
        groups = dbt.get("groups") or {}
        detail = " + ".join(f"{name} {_s(groups.get(name))}" for name in ("staging", "intermediate", "marts"))
        rows.append(
            [
                f"dbt under Cosmos ({detail})",
                _s(dbt.get("cosmos_seconds")),
                f"plain `dbt build` {_s(dbt.get('plain_seconds'))}",
                _x(dbt.get("ratio")),
            ]
        )
    parse = result.get("parse")
    if parse:
        rows.append(
            [
                f"DAG file parse, DAG processor's modules loaded (median of {parse.get('runs')}, "
                f"{parse.get('tasks')} tasks)",
                _s(parse.get("median_s")),
                f"only `airflow.sdk` loaded: {parse.get('sdk_median_s', 0):.2f} s; "
                f"bare interpreter: {parse.get('cold_median_s', 0):.2f} s",
                "—",
            ]
        )
    run = result.get("run")
    if run:
        rows.append(
            [
                f"`make run` at scale {run.get('scale'):g} ({run.get('state')})",
                _s(run.get("wall_s")),
                "from an empty source and warehouse",
                "—",
            ]
        )
        for service, mem in (run.get("memory") or {}).items():
            rows.append(
                [
                    f"peak RSS during `make run`: {service}",
                    f"{_n(mem.get('peak_rss_mib'))} MiB",
                    f"largest single process {_n(mem.get('max_process_hwm_mib'))} MiB",
                    "—",
                ]
            )
    return rows


def _quotient(numerator: float | None, denominator: float | None) -> float | None:
    return numerator / denominator if numerator is not None and denominator else None


def _peer_rows(peer: dict[str, Any]) -> list[list[str]]:
    """One row per dlt configuration, then the loader against the fastest one available."""
    configurations = peer.get("configurations") or {"defaults": peer}
    version = peer.get("version") or ""
    rows: list[list[str]] = []
    for name, config in configurations.items():
        if not config.get("available"):
            rows.append([f"orders through dlt {name}", "unavailable", str(config.get("reason", "")), "—"])
            continue
        backend = "sqlalchemy" if name == "defaults" else name
        rows.append(
            [
                f"orders through dlt {version} {name} (sql_database/{backend} -> duckdb)",
                f"{_n(config.get('rows_per_s'))} rows/s",
                f"binary COPY {_n(peer.get('copy_rows_per_s'))} rows/s",
                _x(config.get("ratio_to_copy"), 3),
            ]
        )
    fastest = peer.get("fastest")
    if fastest:
        rows.append(
            [
                f"embedded loader vs dlt's fastest configuration ({fastest}), orders",
                f"{_n(peer.get('loader_rows_per_s'))} rows/s",
                f"dlt {_n(peer.get('fastest_rows_per_s'))} rows/s",
                _x(peer.get("loader_vs_peer")),
            ]
        )
    return rows


def render_markdown(result: dict[str, Any]) -> str:
    """The tables printed at the end of `bench run` (and pasted into docs/benchmarks.md)."""
    lines = [
        f"## Benchmark: scale {result.get('scale'):g} (seed {result.get('seed')}), {result.get('started_at')}",
        "",
        _machine_line(result.get("machine") or {}),
        "",
    ]
    counts = result.get("source_rows")
    if counts:
        per_table = ", ".join(f"{k} {_n(v)}" for k, v in counts.items())
        lines.append(f"Source: {_n(sum(counts.values()))} rows ({per_table}).")
        lines.append("")
    el = result.get("el")
    if el:
        lines += [
            "### Extract-load: full sync into empty raw tables vs binary COPY and a bare load job",
            "",
            *_el_table(el),
            "",
        ]
        if el.get("resync"):
            lines += [
                "### Extract-load: re-sync (a second full sync into the existing raw tables)",
                "",
                *_el_table(el["resync"]),
                "",
            ]
    figures = _figures(result)
    if figures:
        lines += ["### Figures (each against a baseline measured in the same run)", ""]
        lines += ["| figure | measured | baseline | ratio |", "|---|---:|---|---:|"]
        lines += [f"| {' | '.join(row)} |" for row in figures]
        lines.append("")
    targets = result.get("targets") or []
    if targets:
        lines += ["### Targets", "", "| target | measured | goal | result |", "|---|---:|---:|---|"]
        for t in targets:
            value = "—" if t["value"] is None else f"{t['value']:.3f}{t['unit']}"
            goal = f"{t['op']} {t['threshold']:g}{t['unit']}"
            note = f" ({t['note']})" if t.get("note") else ""
            lines.append(f"| {t['description']}{note} | {value} | {goal} | {_verdict(t['passed'])} |")
        lines.append("")
    errors = result.get("errors") or {}
    if errors:
        lines += ["### Not measured", ""]
        lines += [f"- {phase}: {message}" for phase, message in errors.items()]
        lines.append("")
    return "\n".join(lines)
