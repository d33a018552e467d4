"""Drill: `kill -9` dbt while it builds the marts, rerun, and the marts must equal a clean build.

The marts selection is the one the DAG's `marts` group renders (`path:models/marts`, without the
run ledger). A clean build's marts are fingerprinted (rows hashed per table); then the marts
dataset is emptied, a marts build is started and SIGKILLed at a random point after its first models
started, the build is rerun to completion, and the fingerprints must be identical.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from marketplace_elt.bench.workspace import reset_datasets
from marketplace_elt.drills.base import DrillContext
from marketplace_elt.drills.compare import table_fingerprints
from marketplace_elt.drills.steps import dbt_build, seed_source, sync

MARTS = ("--select", "path:models/marts", "--exclude", "audit_run_ledger")
STARTED = re.compile(r"START sql \S+ model \S+\.(\S+)")


def _kill_build(ctx: DrillContext, after_starts: int, delay: float) -> tuple[bool, list[str], Path]:
    from marketplace_elt.transform import dbt_env

    log = ctx.logs / "dbt-killed.log"
    exe = Path(sys.executable).parent / "dbt"
    started: list[str] = []
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(exe) if exe.exists() else "dbt", "build", *MARTS],
            cwd=ctx.settings.dbt_dir,
            env={**os.environ, **dbt_env(ctx.settings)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = None
        while proc.poll() is None:
            started = STARTED.findall(log.read_text(errors="replace"))
            if deadline is None and len(started) >= after_starts:
                deadline = time.monotonic() + delay
            if deadline is not None and time.monotonic() >= deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
                return True, started, log
            time.sleep(0.05)
    return False, started, log


def run(ctx: DrillContext) -> tuple[bool, str]:
    rnd = random.Random(ctx.options.random_seed)
    settings = ctx.settings
    seed_source(ctx)
    sync(ctx)
    dbt_build(ctx, "clean")
    clean = table_fingerprints(settings, settings.marts_dataset)
    ctx.note(f"clean build: {len(clean)} marts tables, {sum(n for n, _ in clean.values()):,} rows")
    reset_datasets(settings, settings.marts_dataset)
    after = rnd.randint(1, max(1, len(clean) - 2))
    delay = rnd.uniform(0.0, 3.0)
    killed, started, log = _kill_build(ctx, after, delay)
    done = sum(1 for line in log.read_text(errors="replace").splitlines() if " OK created " in line)
    present = table_fingerprints(settings, settings.marts_dataset)
    ctx.note(
        f"marts build {'killed' if killed else 'NOT killed (finished first)'} {delay:.1f}s after model #{after} "
        f"started ({started[-1] if started else '-'}); {done} models had completed, {len(present)} tables present"
    )
    dbt_build(ctx, "rerun", *MARTS)
    rebuilt = table_fingerprints(settings, settings.marts_dataset)
    differ = sorted(t for t in set(clean) | set(rebuilt) if clean.get(t) != rebuilt.get(t))
    ctx.note(
        f"after the rerun: {len(rebuilt)} tables, {sum(n for n, _ in rebuilt.values()):,} rows; "
        f"differing: {differ or 'none'}"
    )
    for table in differ[:5]:
        ctx.note(f"    {table}: clean {clean.get(table)} vs rerun {rebuilt.get(table)}")
    if not killed:
        return False, "the marts build finished before the kill; nothing was proved"
    if differ:
        return False, f"marts differ from the clean build: {', '.join(differ[:3])}"
    return True, f"dbt killed after {len(started)} marts models started; rerun marts identical to a clean build"
