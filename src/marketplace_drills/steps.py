"""Steps the drills share: seed, sync, build, and prepare Airflow, all in the drill's workspace."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from marketplace_drills.base import DrillContext


def seed_source(ctx: DrillContext) -> dict[str, int]:
    from marketplace_sim import seed, table_counts

    seed(ctx.settings, scale=ctx.options.scale, seed=ctx.options.seed, reset=True)
    counts = table_counts(ctx.settings)
    ctx.note(f"source seeded at scale {ctx.options.scale:g}: {sum(counts.values()):,} rows")
    return counts


def sync(ctx: DrillContext) -> float:
    """One extract-load sync of every stream (in this process); returns its seconds."""
    from marketplace_elt.el import sync as el_sync

    started = time.perf_counter()
    el_sync(ctx.settings)
    return time.perf_counter() - started


def dbt(ctx: DrillContext, args: list[str], label: str) -> tuple[int, Path]:
    """dbt with the platform environment, output to a log file; returns (exit code, log path)."""
    from marketplace_elt.transform import dbt_env

    exe = Path(sys.executable).parent / "dbt"
    log = ctx.logs / f"dbt-{label}.log"
    with open(log, "wb") as out:
        code = subprocess.run(
            [str(exe) if exe.exists() else "dbt", *args],
            cwd=ctx.settings.dbt_dir,
            env={**os.environ, **dbt_env(ctx.settings)},
            stdout=out,
            stderr=subprocess.STDOUT,
        ).returncode
    return code, log


def dbt_build(ctx: DrillContext, label: str, *selection: str, publish: bool = True) -> None:
    """`dbt build` (of ``selection``, default everything but the run ledger); raises if it fails.

    As a DAG run does, the marts are built into the audit dataset after it was reset to the published
    marts, then published (``publish``); the drills judge what readers see.
    """
    from marketplace_elt.publish import prepare
    from marketplace_elt.publish import publish as publish_marts

    if publish:
        prepare(ctx.settings, f"drill-{label}")
    args = ["build", *(selection or ("--exclude", "audit_run_ledger"))]
    code, log = dbt(ctx, args, label)
    if code != 0:
        raise RuntimeError(f"`dbt {' '.join(args)}` failed ({last_line(log)}); see {log}")
    if publish:
        publish_marts(ctx.settings, f"drill-{label}")


def prepare_airflow(ctx: DrillContext) -> None:
    """The dbt manifest Cosmos renders from and a migrated Airflow metadata DB."""
    from marketplace_elt.orchestration import local_airflow
    from marketplace_elt.transform import build_manifest

    build_manifest(ctx.settings)
    local_airflow.migrate(ctx.settings)


def last_line(path: Path, match: str = "") -> str:
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    if match:
        lines = [line for line in lines if match in line]
    return lines[-1][:300] if lines else "no output"
