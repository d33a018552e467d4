"""`drills run`: each drill in its own workspace, PASS/FAIL with evidence, then `N passed, N failed`."""

from __future__ import annotations

import logging
import random
import time
import traceback
from datetime import UTC, datetime

from marketplace_bench.workspace import Workspace
from marketplace_drills import (
    dbt_kill,
    emulator_outage,
    incremental_equivalence,
    loader_kill,
    replay_storm,
    schema_drift,
    source_faults,
    source_outage,
)
from marketplace_drills.base import Drill, DrillContext, DrillOptions, DrillResult
from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings

log = logging.getLogger("marketplace_drills")

DRILLS: tuple[Drill, ...] = (
    Drill("loader-kill", "kill -9 the loader at random points of a sync, rerun: raw equals source", loader_kill.run),
    Drill(
        "dbt-kill",
        "kill -9 dbt during the marts build (--trials times): published marts untouched, next run cleans up",
        dbt_kill.run,
    ),
    Drill(
        "emulator-outage",
        "stop the emulator mid-run: a task fails clearly, retries after restart, run completes",
        emulator_outage.run,
    ),
    Drill(
        "source-unreachable",
        "source down: extract-load fails fast in one line, alert sent, nothing downstream runs",
        source_outage.run,
    ),
    Drill(
        "schema-drift",
        "column added + column dropped at the source: pipeline continues, drift reported",
        schema_drift.run,
    ),
    Drill(
        "incremental-equals-full",
        "a day of changes, replays and late rows: incremental marts equal a full refresh, row for row",
        incremental_equivalence.run,
    ),
    Drill(
        "replay-storm", "10 % of payments replayed: reconciliation still balanced, replays counted", replay_storm.run
    ),
    Drill(
        "source-faults",
        "payments and reviews hard-deleted, a column widened: deletes leave the marts, incremental equals full",
        source_faults.run,
    ),
)
NAMES = tuple(d.name for d in DRILLS)


def select(only: list[str] | None) -> list[Drill]:
    if not only:
        return list(DRILLS)
    unknown = [n for n in only if n not in NAMES]
    if unknown:
        raise UserError(f"unknown drill {unknown[0]!r}; choose from {', '.join(NAMES)}")
    return [d for d in DRILLS if d.name in only]


def run_one(base: Settings, drill: Drill, options: DrillOptions, stamp: str) -> DrillResult:
    """Run one drill in a fresh workspace; any exception is a FAIL with its message as evidence."""
    short = drill.name.replace("-", "_")
    workspace = Workspace(f"drill_{short}", base)
    logs = base.logs_dir / "drills" / stamp / drill.name
    logs.mkdir(parents=True, exist_ok=True)
    ctx = DrillContext(drill.name, base, workspace, workspace.settings, options, logs)
    print(f"--- {drill.name}: {drill.what}", flush=True)
    started = time.perf_counter()
    try:
        with workspace.activated():
            workspace.create(fresh=True)
            passed, summary = drill.run(ctx)
    except Exception as exc:
        text = str(exc).strip()
        passed, summary = False, f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
        (logs / "error.txt").write_text(traceback.format_exc())
        ctx.evidence.append(f"traceback: {logs / 'error.txt'}")
    finally:
        if not options.keep:
            try:
                workspace.drop()
            except Exception:
                log.warning("could not drop workspace %s", workspace.name, exc_info=True)
    ctx.evidence.append(f"logs: {logs}")
    return DrillResult(drill.name, passed, summary, ctx.evidence, time.perf_counter() - started)


def run_drills(base: Settings, options: DrillOptions, only: list[str] | None = None) -> list[DrillResult]:
    drills = select(only)
    if options.random_seed is None:
        options = DrillOptions(**{**options.__dict__, "random_seed": random.SystemRandom().randrange(1 << 30)})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    print(
        f"fault drills at scale {options.scale:g} (random seed {options.random_seed}): "
        f"{', '.join(d.name for d in drills)}"
    )
    results = []
    for drill in drills:
        result = run_one(base, drill, options, stamp)
        print(result.render(), flush=True)
        results.append(result)
    return results


def closing_line(results: list[DrillResult]) -> str:
    passed = sum(1 for r in results if r.passed)
    return f"{passed} passed, {len(results) - passed} failed"
