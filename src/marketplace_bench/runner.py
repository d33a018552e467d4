"""`bench run`: every figure of the benchmark, each against a baseline measured in the same run.

Phases (all by default, in this order; each one records its numbers or, if it fails, the reason):

* ``el`` — seed the bench source at the requested scale; a full sync of every stream with the
  embedded loader into empty raw tables; the two ceilings of the loader's path for every table
  (binary COPY, the extraction limit; a bare Parquet load job, the BigQuery side's limit); then a
  second full sync into the now existing raw tables (the re-sync), with the emulator's disk growth;
* ``peer`` — the orders table through dlt, in its default and its fastest configurations (its own
  venv, a subprocess per configuration);
* ``dbt`` — a plain ``dbt build`` of the project, then the same models under Cosmos in a real DAG
  run under Airflow's scheduler (started for it, triggered over REST), timed from the task
  instances' start and end;
* ``incremental`` — ``source advance --days 1``, then an incremental sync and an incremental
  ``dbt build``, compared with the full ones;
* ``parse`` — median import time of the DAG file in fresh processes;
* ``run`` — ``marketplace-elt pipeline run`` (what ``make run`` runs) at its default scale on an
  empty source and warehouse, with the peak memory of PostgreSQL, the emulator and Airflow/dbt.

Everything happens in the ``bench`` workspace (its own source database and datasets, see
workspace.py; ``--workspace`` names another), so a developer's data is never touched; ``run`` uses
a second one, ``<name>run`` (``benchrun``). Two bench runs never share a workspace: a lock file under
MELT_HOME/bench makes the second one refuse in one line.

Sync times are the wall time of the whole ``sync()`` call (connecting, the sync log, reading
state, then the streams); the streams' own durations are kept beside them.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketplace_bench import figures
from marketplace_bench.disk import emulator_data_bytes, emulator_data_dir
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
    workspace: str = "bench"


@dataclass
class BenchState:
    """What earlier phases measured and later phases compare against."""

    base: Settings  # the configured settings, before the workspace overrides
    settings: Settings
    options: BenchOptions
    result: dict[str, Any]
    logs: Path
    full_sync: list[Any] = field(default_factory=list)
    full_sync_s: float | None = None  # wall time of the whole sync() call
    full_sync_disk: int | None = None  # growth of the emulator's data directory during it
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


_ratio = figures.ratio


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


def timed_sync(settings: Settings, full_refresh: bool) -> tuple[list[Any], float, int | None]:
    """One whole ``sync()`` call: (per-stream results, wall seconds, emulator disk growth in bytes)."""
    from marketplace_elt.el import sync

    before = emulator_data_bytes(settings)
    started = time.perf_counter()
    results = sync(settings, full_refresh=full_refresh)
    wall = time.perf_counter() - started
    return results, wall, figures.disk_growth(before, emulator_data_bytes(settings))


def full_sync(state: BenchState) -> None:
    _say("full sync of every stream into empty raw tables (embedded loader) ...")
    state.full_sync, state.full_sync_s, state.full_sync_disk = timed_sync(state.settings, full_refresh=True)


def _sync_figures(
    results: list[Any], wall_s: float, copies: dict[str, Any], loads: dict[str, Any], disk: int | None
) -> dict[str, Any]:
    """Per stream and in total, each against the COPY and bare-load ceilings of the same table."""
    streams = [
        figures.stream_row(
            r.stream,
            r.sync_mode,
            r.rows_read,
            r.duration_s,
            {"rows": copies[r.stream].rows, "seconds": copies[r.stream].seconds, "bytes": copies[r.stream].bytes}
            if r.stream in copies
            else None,
            loads[r.stream].as_dict() if r.stream in loads else None,
        )
        for r in results
    ]
    return {"streams": streams, "total": figures.total_row(streams, wall_s), "disk_growth_bytes": disk}


def phase_el(state: BenchState) -> None:
    from marketplace_bench.copy_baseline import copy_baseline
    from marketplace_bench.load_baseline import load_ceiling

    settings, repeats = state.settings, state.options.copy_repeats
    tables = [r.stream for r in state.full_sync]
    _say(f"binary COPY baseline of {len(tables)} tables (fastest of {repeats}) ...")
    copies = copy_baseline(settings, tables, repeats=repeats)
    state.copy = dict(copies)
    _say(f"bare Parquet load job of {len(tables)} tables into scratch tables (fastest of {repeats}) ...")
    loads = load_ceiling(settings, tables, repeats=repeats)
    _say("re-sync: a second full sync into the now existing raw tables ...")
    resync, resync_s, resync_disk = timed_sync(settings, full_refresh=True)
    assert state.full_sync_s is not None
    el = _sync_figures(state.full_sync, state.full_sync_s, copies, loads, state.full_sync_disk)
    el["resync"] = _sync_figures(resync, resync_s, copies, loads, resync_disk)
    data_dir = emulator_data_dir(settings)
    el["emulator_data_dir"] = str(data_dir) if data_dir is not None else None
    state.result["el"] = el
    state.targets.extend(figures.el_targets(el))


def _peer_entry(peer: Any, copy_rows_per_s: float | None, source_rows: int | None) -> dict[str, Any]:
    """One dlt configuration's figures, or why it could not be measured."""
    from marketplace_bench.peer import CONFIGURATIONS

    entry: dict[str, Any] = {"description": CONFIGURATIONS[peer.configuration], "available": peer.available}
    if peer.available and source_rows is not None and peer.rows != source_rows:
        entry.update(available=False, reason=f"dlt reported {peer.rows:,} rows loaded; the source has {source_rows:,}")
    elif peer.available:
        entry.update(
            version=peer.version,
            rows=peer.rows,
            seconds=round(peer.seconds, 3),
            steps=peer.steps,
            rows_per_s=round(peer.rows_per_s, 1),
            ratio_to_copy=_ratio(peer.rows_per_s, copy_rows_per_s),
        )
    else:
        entry["reason"] = peer.reason
    return entry


def phase_peer(state: BenchState) -> None:
    from marketplace_bench.copy_baseline import copy_baseline
    from marketplace_bench.peer import CONFIGURATIONS, run_peer

    copy = state.copy.get(PEER_TABLE) or copy_baseline(state.settings, [PEER_TABLE], repeats=1)[PEER_TABLE]
    source_rows = (state.result.get("source_rows") or {}).get(PEER_TABLE)
    configurations: dict[str, dict[str, Any]] = {}
    for name in CONFIGURATIONS:
        _say(f"peer: {PEER_TABLE} through dlt, configuration {name!r} (own venv under MELT_HOME) ...")
        configurations[name] = _peer_entry(run_peer(state.settings, PEER_TABLE, name), copy.rows_per_s, source_rows)
    loader = next((r for r in state.full_sync if r.stream == PEER_TABLE), None)
    summary = figures.peer_summary(configurations, round(loader.rows_per_s, 1) if loader is not None else None)
    defaults = configurations["defaults"]
    entry: dict[str, Any] = {
        "tool": "dlt",
        "table": PEER_TABLE,
        "version": next((c["version"] for c in configurations.values() if c.get("version")), None),
        "copy_rows_per_s": round(copy.rows_per_s, 1),
        **summary,
        "configurations": configurations,
        # the default configuration's figures, at the top level as before
        "configuration": defaults["description"],
        **{k: defaults[k] for k in ("rows", "seconds", "steps", "rows_per_s", "ratio_to_copy") if k in defaults},
        "loader_vs_defaults": _ratio(summary["loader_rows_per_s"], defaults.get("rows_per_s")),
    }
    if not summary["available"]:
        reasons = "; ".join(f"{n}: {c.get('reason')}" for n, c in configurations.items())
        entry["reason"] = reasons
        state.result["errors"]["peer"] = f"dlt peer unavailable in every configuration ({reasons})"
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
    state.targets.append(figures.cosmos_target(state.result["dbt"]))


def phase_incremental(state: BenchState) -> None:
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
    disk_before = emulator_data_bytes(settings)
    _say("incremental sync ...")
    results, el_s, el_disk = timed_sync(settings, full_refresh=False)
    read = sum(r.rows_read for r in results)
    _say("incremental `dbt build` ...")
    dbt_s = plain_dbt_build(state, "incremental")
    disk_after = emulator_data_bytes(settings)
    full_el = state.full_sync_s
    el_streams_s = sum(r.duration_s for r in results)
    full_streams_s = sum(r.duration_s for r in state.full_sync) if state.full_sync else None
    inc: dict[str, Any] = {
        "days": 1,
        "source_changes": dict(report.changes),
        "rows_read": read,
        "source_rows": total_rows,
        "changed_pct": round(100 * read / total_rows, 3) if total_rows else None,
        "el_seconds": round(el_s, 2),
        "full_el_seconds": round(full_el, 2) if full_el else None,
        "el_ratio": _ratio(el_s, full_el),
        "el_streams_seconds": round(el_streams_s, 2),
        "full_el_streams_seconds": round(full_streams_s, 2) if full_streams_s else None,
        "el_streams_ratio": _ratio(el_streams_s, full_streams_s),
        "per_stream": {r.stream: {"rows": r.rows_read, "seconds": r.duration_s} for r in results},
        "dbt_seconds": round(dbt_s, 2),
        "full_dbt_seconds": round(state.plain_dbt_s, 2),
        "dbt_ratio": _ratio(dbt_s, state.plain_dbt_s),
        "el_disk_growth_bytes": el_disk,
        "disk_growth_bytes": figures.disk_growth(disk_before, disk_after),
    }
    state.result["incremental"] = inc
    state.targets.extend(figures.incremental_targets(inc))


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
    state.targets.append(figures.parse_target(parsed.median_s))


def phase_run(state: BenchState) -> None:
    from marketplace_bench.memory import PeakMemory, emulator_pid, postgres_pid

    base = state.base
    workspace = Workspace(f"{state.options.workspace}run", base)
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


@contextlib.contextmanager
def workspace_lock(base: Settings, name: str) -> Iterator[None]:
    """Hold MELT_HOME/bench/<name>.lock for the run; a second run on the same workspace refuses.

    Both runs would reseed the same source database and drop the same datasets under each other.
    The lock is an advisory ``flock`` released by the kernel when the process ends, however it ends.
    """
    from marketplace_elt.errors import UserError

    path = base.home / "bench" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "unknown"
            raise UserError(
                f"bench workspace {name!r} is in use by another `bench run` (pid {holder}); "
                "wait for it to finish or pass --workspace with another name"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh, fcntl.LOCK_UN)


def run_bench(base: Settings, options: BenchOptions) -> tuple[dict[str, Any], Path]:
    """Run the selected phases; returns the result document and where it was written."""
    unknown = [p for p in options.phases if p not in PHASES]
    if unknown:
        from marketplace_elt.errors import UserError

        raise UserError(f"unknown bench phase {unknown[0]!r}; choose from {', '.join(PHASES)}")
    workspace = Workspace(options.workspace, base)
    if "run" in options.phases:
        Workspace(f"{options.workspace}run", base)  # a name too long for the second workspace fails here
    with workspace_lock(base, options.workspace), workspace.activated():
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
            "name": workspace.name,
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
