"""`bench run`: every figure of the benchmark, each against a baseline measured in the same run.

Phases (all by default, in this order; each one records its numbers or, if it fails, the reason):

* ``el`` — seed the bench source at the requested scale, read every table with binary COPY (the
  machine's extraction limit), then a full sync of every stream with the embedded loader;
* ``peer`` — the orders table through dlt's default configuration (its own venv, a subprocess);
* ``dbt`` — a plain ``dbt build`` of the project, then the same models under Cosmos in a real DAG
  run under Airflow's scheduler (started for it, triggered over REST), timed from the task
  instances' start and end;
* ``incremental`` — ``source advance --days 1``, then an incremental sync and an incremental
  ``dbt build``, compared with the full ones;
* ``parse`` — median import time of the DAG file in fresh processes;
* ``run`` — ``marketplace-elt pipeline run`` (what ``make run`` runs) at its default scale on an
  empty source and warehouse, with the peak memory of PostgreSQL, the emulator and Airflow/dbt.

Everything happens in the ``bench`` workspace (its own source database and datasets, see
workspace.py), so a developer's data is never touched; ``run`` uses a second one, ``benchrun``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketplace_bench.machine import machine_info
from marketplace_bench.report import Target, render_markdown, result_path, write_result
from marketplace_bench.workspace import Workspace, reset_datasets
from marketplace_elt.settings import Settings

log = logging.getLogger("marketplace_bench")

PHASES = ("el", "peer", "dbt", "incremental", "parse", "run")
PEER_TABLE = "orders"
DAG_LAYERS = ("staging", "intermediate", "marts")


@dataclass
class BenchOptions:
    scale: float
    seed: int = 42
    phases: tuple[str, ...] = PHASES
    parse_runs: int = 10
    copy_repeats: int = 3
    run_scale: float | None = None  # None: the default of `pipeline run`
    results_dir: Path | None = None
    keep: bool = False


@dataclass
class BenchState:
    """What earlier phases measured and later phases compare against."""

    base: Settings  # the configured settings, before the workspace overrides
    settings: Settings
    options: BenchOptions
    result: dict[str, Any]
    logs: Path
    full_sync: list[Any] = field(default_factory=list)
    full_sync_s: float | None = None
    copy: dict[str, Any] = field(default_factory=dict)
    plain_dbt_s: float | None = None
    targets: list[Target] = field(default_factory=list)


def _say(message: str) -> None:
    print(f"[bench] {message}", flush=True)


def _dbt(settings: Settings, args: list[str], log_file: Path) -> tuple[int, float]:
    """Run dbt with the platform environment, output to ``log_file``; returns (exit code, seconds)."""
    from marketplace_elt.transform import dbt_env

    exe = Path(sys.executable).parent / "dbt"
    env = {**os.environ, **dbt_env(settings)}
    log_file.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_file, "wb") as out:
        code = subprocess.run(
            [str(exe) if exe.exists() else "dbt", *args], cwd=settings.dbt_dir, env=env, stdout=out, stderr=out
        ).returncode
    return code, time.perf_counter() - started


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator to 4 significant digits (None when either is missing or zero)."""
    if not numerator or not denominator:
        return None
    return float(f"{numerator / denominator:.4g}")


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


def _tail(path: Path, lines: int = 1) -> str:
    text = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return " / ".join(line.strip() for line in text[-lines:])


# ---------------------------------------------------------------------------------------------
# phases


def seed_source(state: BenchState) -> None:
    from marketplace_sim import seed, table_counts

    opts = state.options
    _say(f"seeding the bench source at scale {opts.scale:g} (seed {opts.seed}) ...")
    report = seed(state.settings, scale=opts.scale, seed=opts.seed, reset=True)
    state.result["seed_seconds"] = round(report.total_seconds, 2)
    state.result["source_rows"] = table_counts(state.settings)


def full_sync(state: BenchState) -> None:
    from marketplace_elt.el import sync

    _say("full sync of every stream (embedded loader) ...")
    started = time.perf_counter()
    state.full_sync = sync(state.settings, full_refresh=True)
    state.full_sync_s = time.perf_counter() - started


def phase_el(state: BenchState) -> None:
    from marketplace_bench.copy_baseline import copy_baseline

    tables = [r.stream for r in state.full_sync]
    _say(f"binary COPY baseline of {len(tables)} tables (fastest of {state.options.copy_repeats}) ...")
    copies = copy_baseline(state.settings, tables, repeats=state.options.copy_repeats)
    state.copy = {name: c for name, c in copies.items()}
    streams = []
    for r in state.full_sync:
        c = copies[r.stream]
        streams.append(
            {
                "stream": r.stream,
                "sync_mode": r.sync_mode,
                "rows": r.rows_read,
                "seconds": r.duration_s,
                "rows_per_s": round(r.rows_per_s, 1),
                "copy_rows": c.rows,
                "copy_seconds": round(c.seconds, 4),
                "copy_bytes": c.bytes,
                "copy_rows_per_s": round(c.rows_per_s, 1),
                "ratio_to_copy": _ratio(r.rows_per_s, c.rows_per_s),
            }
        )
    rows = sum(r.rows_read for r in state.full_sync)
    seconds = state.full_sync_s or sum(r.duration_s for r in state.full_sync)
    copy_s = sum(c.seconds for c in copies.values())
    total = {
        "rows": rows,
        "seconds": round(seconds, 3),
        "rows_per_s": round(rows / seconds, 1) if seconds else None,
        "copy_seconds": round(copy_s, 4),
        "copy_rows_per_s": round(rows / copy_s, 1) if copy_s else None,
    }
    total["ratio_to_copy"] = _ratio(total["rows_per_s"], total["copy_rows_per_s"])
    state.result["el"] = {"streams": streams, "total": total}
    orders = next((s for s in streams if s["stream"] == "orders"), None)
    state.targets.append(
        Target(
            name="el_orders_vs_copy",
            description="orders full sync speed / binary COPY speed",
            value=orders["ratio_to_copy"] if orders else None,
            op=">=",
            threshold=0.5,
            unit="x",
        )
    )


def phase_peer(state: BenchState) -> None:
    from marketplace_bench.copy_baseline import copy_baseline
    from marketplace_bench.peer import run_peer

    _say(f"peer: {PEER_TABLE} through dlt's default configuration (own venv under MELT_HOME) ...")
    peer = run_peer(state.settings, PEER_TABLE)
    copy = state.copy.get(PEER_TABLE) or copy_baseline(state.settings, [PEER_TABLE], repeats=1)[PEER_TABLE]
    loader = next((r for r in state.full_sync if r.stream == PEER_TABLE), None)
    entry: dict[str, Any] = {
        "tool": "dlt",
        "configuration": "sql_database source, default backend (sqlalchemy) and chunk size -> duckdb destination",
        "table": PEER_TABLE,
        "available": peer.available,
    }
    if peer.available:
        entry.update(
            version=peer.version,
            rows=peer.rows,
            seconds=round(peer.seconds, 3),
            steps=peer.steps,
            rows_per_s=round(peer.rows_per_s, 1),
            copy_rows_per_s=round(copy.rows_per_s, 1),
            ratio_to_copy=_ratio(peer.rows_per_s, copy.rows_per_s),
        )
        if loader is not None:
            entry["loader_rows_per_s"] = round(loader.rows_per_s, 1)
            entry["loader_vs_peer"] = _ratio(loader.rows_per_s, peer.rows_per_s)
    else:
        entry["reason"] = peer.reason
        state.result["errors"]["peer"] = f"dlt peer unavailable: {peer.reason}"
    state.result["peer"] = entry


def plain_dbt_build(state: BenchState, label: str) -> float:
    settings = state.settings
    log_file = state.logs / f"dbt-build-{label}.log"
    code, seconds = _dbt(settings, ["build", "--exclude", "audit_run_ledger"], log_file)
    if code != 0:
        raise RuntimeError(f"`dbt build` ({label}) failed with exit {code}: {_tail(log_file)}; log {log_file}")
    return seconds


def phase_dbt(state: BenchState) -> None:
    from marketplace_bench.dag_run import run_dag_scheduled
    from marketplace_elt.transform import build_manifest

    settings = state.settings
    build_manifest(settings)
    if state.plain_dbt_s is None:
        reset_datasets(settings, settings.staging_dataset, *settings.marts_datasets)
        _say("plain `dbt build` of the project (empty staging and marts) ...")
        state.plain_dbt_s = plain_dbt_build(state, "full")
    reset_datasets(settings, settings.staging_dataset, *settings.marts_datasets)
    _say("DAG run under Airflow's scheduler + Cosmos (empty staging and marts; extract-load finds nothing new) ...")
    run = run_dag_scheduled(settings)
    groups = {layer: run.group_seconds(layer) for layer in DAG_LAYERS}
    cosmos = sum(v for v in groups.values() if v is not None) if all(v is not None for v in groups.values()) else None
    state.result["dbt"] = {
        "run_id": run.run_id,
        "run_state": run.state,
        "dag_wall_s": round(run.wall_s, 1),
        "groups": {k: round(v, 2) if v is not None else None for k, v in groups.items()},
        "dbt_tasks": sum(1 for t in run.final().values() if t.group in DAG_LAYERS),
        "cosmos_seconds": round(cosmos, 2) if cosmos is not None else None,
        "plain_seconds": round(state.plain_dbt_s, 2),
        "ratio": _ratio(cosmos, state.plain_dbt_s),
        "log": str(run.log_path),
    }
    if run.state != "success":
        failed = [t for t, s in run.states().items() if s not in ("success", "skipped")]
        state.result["errors"]["dbt"] = (
            f"DAG run {run.state} (not successful: {', '.join(failed[:5])}); see {run.log_path}"
        )
    state.targets.append(
        Target(
            name="cosmos_vs_plain_dbt",
            description="dbt groups under Cosmos / plain `dbt build`",
            value=state.result["dbt"]["ratio"],
            op="<=",
            threshold=1.5,
            unit="x",
        )
    )


def phase_incremental(state: BenchState) -> None:
    from marketplace_elt.el import sync
    from marketplace_sim import advance, table_counts

    settings = state.settings
    if state.plain_dbt_s is None:
        from marketplace_elt.transform import build_manifest

        build_manifest(settings)
        reset_datasets(settings, settings.staging_dataset, *settings.marts_datasets)
        _say("plain `dbt build` of the project (empty staging and marts) ...")
        state.plain_dbt_s = plain_dbt_build(state, "full")
    _say("source advance --days 1 ...")
    report = advance(settings, days=1)
    total_rows = sum(table_counts(settings).values())
    _say("incremental sync ...")
    started = time.perf_counter()
    results = sync(settings)
    el_s = time.perf_counter() - started
    read = sum(r.rows_read for r in results)
    _say("incremental `dbt build` ...")
    dbt_s = plain_dbt_build(state, "incremental")
    full_el = state.full_sync_s
    state.result["incremental"] = {
        "days": 1,
        "source_changes": dict(report.changes),
        "rows_read": read,
        "source_rows": total_rows,
        "changed_pct": round(100 * read / total_rows, 3) if total_rows else None,
        "el_seconds": round(el_s, 2),
        "full_el_seconds": round(full_el, 2) if full_el else None,
        "el_ratio": _ratio(el_s, full_el),
        "per_stream": {r.stream: {"rows": r.rows_read, "seconds": r.duration_s} for r in results},
        "dbt_seconds": round(dbt_s, 2),
        "full_dbt_seconds": round(state.plain_dbt_s, 2),
        "dbt_ratio": _ratio(dbt_s, state.plain_dbt_s),
    }
    state.targets.append(
        Target(
            name="incremental_el_vs_full",
            description="incremental EL time / full sync time",
            value=state.result["incremental"]["el_ratio"],
            op="<",
            threshold=0.05,
            unit="x",
        )
    )


def phase_parse(state: BenchState) -> None:
    from marketplace_bench.parse_time import measure_parse
    from marketplace_elt.transform import build_manifest

    build_manifest(state.settings)
    runs = state.options.parse_runs
    _say(f"DAG parse time: {runs} fresh processes ...")
    parsed = measure_parse(state.settings, runs)
    state.result["parse"] = {
        "runs": runs,
        "tasks": parsed.tasks,
        "samples_s": [round(s, 4) for s in parsed.samples],
        "median_s": round(parsed.median_s, 4),
        "sdk_median_s": round(parsed.sdk_median_s, 4),
        "cold_median_s": round(parsed.cold_median_s, 4),
    }
    state.targets.append(
        Target(
            name="dag_parse",
            description="DAG file parse in the DAG processor, median",
            value=parsed.median_s,
            op="<",
            threshold=0.3,
            unit=" s",
        )
    )


def phase_run(state: BenchState) -> None:
    from marketplace_bench.memory import PeakMemory, emulator_pid, postgres_pid

    base = state.base
    workspace = Workspace("benchrun", base)
    _say("`make run` (marketplace-elt pipeline run) on an empty source and warehouse ...")
    workspace.create(fresh=True)
    env = {**os.environ, **workspace.env()}
    cmd = [sys.executable, "-m", "marketplace_elt.cli", "pipeline", "run"]
    scale = state.options.run_scale
    if scale is not None:
        cmd += ["--scale", f"{scale:g}"]
    log_file = state.logs / "pipeline-run.log"
    started = time.perf_counter()
    with open(log_file, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        roots: dict[str, Callable[[], int | None]] = {
            "postgres": lambda: postgres_pid(base),
            "bq_emulator": lambda: emulator_pid(base),
            "airflow_dbt": lambda: proc.pid if proc.poll() is None else None,
        }
        with PeakMemory(roots) as memory:
            code = proc.wait()
    wall = time.perf_counter() - started
    state.result["run"] = {
        "command": "marketplace-elt pipeline run" + (f" --scale {scale:g}" if scale is not None else ""),
        "scale": scale if scale is not None else 1.0,
        "wall_s": round(wall, 1),
        "state": "success" if code == 0 else f"failed (exit {code})",
        "memory": memory.report(),
        "log": str(log_file),
    }
    if code != 0:
        state.result["errors"]["run"] = f"`pipeline run` exited {code}: {_tail(log_file)}; log {log_file}"
    if not state.options.keep:
        workspace.drop()


PHASE_FUNCTIONS: dict[str, Callable[[BenchState], None]] = {
    "el": phase_el,
    "peer": phase_peer,
    "dbt": phase_dbt,
    "incremental": phase_incremental,
    "parse": phase_parse,
    "run": phase_run,
}


def run_bench(base: Settings, options: BenchOptions) -> tuple[dict[str, Any], Path]:
    """Run the selected phases; returns the result document and where it was written."""
    unknown = [p for p in options.phases if p not in PHASES]
    if unknown:
        from marketplace_elt.errors import UserError

        raise UserError(f"unknown bench phase {unknown[0]!r}; choose from {', '.join(PHASES)}")
    workspace = Workspace("bench", base)
    with workspace.activated():
        return _run_bench(base, workspace, options)


def _run_bench(base: Settings, workspace: Workspace, options: BenchOptions) -> tuple[dict[str, Any], Path]:
    started = datetime.now(UTC)
    settings = workspace.settings
    logs = settings.logs_dir / "bench" / started.strftime("%Y%m%dT%H%M%SZ")
    logs.mkdir(parents=True, exist_ok=True)
    result: dict[str, Any] = {
        "schema_version": 1,
        "started_at": started.isoformat(timespec="seconds"),
        "scale": options.scale,
        "seed": options.seed,
        "phases": list(options.phases),
        "machine": machine_info(),
        "workspace": {
            "source_database": workspace.database,
            **{k: v for k, v in workspace.env().items() if k.startswith("BQ_")},
        },
        "errors": {},
        "logs": str(logs),
    }
    state = BenchState(base=base, settings=settings, options=options, result=result, logs=logs)
    selected = [p for p in PHASES if p in options.phases]
    needs_data = any(p in selected for p in ("el", "peer", "dbt", "incremental"))
    try:
        _say(f"workspace {workspace.database} / {settings.raw_dataset} on the configured services ...")
        workspace.create(fresh=True)
        if needs_data:
            seed_source(state)
            if any(p in selected for p in ("el", "dbt", "incremental")):
                full_sync(state)
        for phase in selected:
            try:
                PHASE_FUNCTIONS[phase](state)
            except Exception as exc:  # one phase failing must not lose the others' numbers
                log.debug("phase %s failed", phase, exc_info=True)
                result["errors"][phase] = _one_line(exc)
                (logs / f"{phase}-error.txt").write_text(traceback.format_exc())
    except Exception as exc:
        result["errors"]["setup"] = f"{type(exc).__name__}: {exc}"
        (logs / "setup-error.txt").write_text(traceback.format_exc())
    finally:
        finished = datetime.now(UTC)
        result["finished_at"] = finished.isoformat(timespec="seconds")
        result["duration_s"] = round((finished - started).total_seconds(), 1)
        result["targets"] = [t.as_dict() for t in state.targets]
        target = result_path(started, options.results_dir) if options.results_dir else result_path(started)
        path = write_result(result, target)
        if not options.keep:
            try:
                workspace.drop()
            except Exception:
                log.warning("could not drop the bench workspace", exc_info=True)
    return result, path


def summary_markdown(result: dict[str, Any]) -> str:
    return render_markdown(result)
