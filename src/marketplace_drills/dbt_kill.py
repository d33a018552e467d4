"""Drill: `kill -9` dbt while it builds the marts, N times: readers never see it, the next run heals.

The marts selection is the one the DAG's `marts` group renders (`path:models/marts`, without the
run ledger). A clean build is published and its marts fingerprinted (rows hashed per table; the
publish log, which records every publish, aside). Then,
``trials`` times: the audit dataset is prepared as a run prepares it, a marts build is started and
SIGKILLed at a random point after its first models started, and the published marts must still be
exactly the clean build with no `*__dbt_tmp` relation in them (whatever the kill left behind stays
in the audit dataset). Last, a normal run (prepare, build, publish) must drop every leftover and
publish marts identical to the clean build.
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

from marketplace_drills.base import DrillContext
from marketplace_drills.compare import table_fingerprints
from marketplace_drills.steps import dbt_build, seed_source, sync
from marketplace_elt.publish.marts import PUBLISH_LOG
from marketplace_elt.settings import Settings

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


def _temporary(settings: Settings, dataset: str) -> list[str]:
    from marketplace_elt.bigquery import client

    tables = client(settings).list_tables(f"{settings.bq_project}.{dataset}")
    return sorted(t.table_id for t in tables if "__dbt_tmp" in t.table_id)


def run(ctx: DrillContext) -> tuple[bool, str]:
    from marketplace_elt.publish import prepare, publish

    rnd = random.Random(ctx.options.random_seed)
    settings = ctx.settings
    seed_source(ctx)
    sync(ctx)
    dbt_build(ctx, "clean")
    clean = table_fingerprints(settings, settings.marts_dataset, exclude=(PUBLISH_LOG,))
    ctx.note(f"clean build published: {len(clean)} marts tables, {sum(n for n, _ in clean.values()):,} rows")
    kills = 0
    left_behind: set[str] = set()
    for trial in range(1, max(1, ctx.options.trials) + 1):
        prepare(settings, f"drill-kill-{trial}")
        after = rnd.randint(1, max(1, len(clean) - 2))
        delay = rnd.uniform(0.0, 3.0)
        killed, started, _ = _kill_build(ctx, after, delay)
        kills += killed
        published = table_fingerprints(settings, settings.marts_dataset, exclude=(PUBLISH_LOG,))
        in_marts = _temporary(settings, settings.marts_dataset)
        in_audit = _temporary(settings, settings.marts_audit_dataset)
        left_behind.update(in_audit)
        ctx.note(
            f"trial {trial}: build {'killed' if killed else 'finished first'} {delay:.1f}s after model #{after} "
            f"started ({started[-1] if started else '-'}); temporary relations in audit {len(in_audit)}, "
            f"in marts {len(in_marts)}"
        )
        if published != clean or in_marts:
            differ = sorted(t for t in set(clean) | set(published) if clean.get(t) != published.get(t))
            return False, f"trial {trial}: the published marts changed ({differ[:3]}) or hold {in_marts[:3]}"
    prepare(settings, "drill-kill-rerun")
    dbt_build(ctx, "rerun", *MARTS, publish=False)
    publish(settings, "drill-kill-rerun")
    rebuilt = table_fingerprints(settings, settings.marts_dataset, exclude=(PUBLISH_LOG,))
    leftovers = _temporary(settings, settings.marts_audit_dataset) + _temporary(settings, settings.marts_dataset)
    differ = sorted(t for t in set(clean) | set(rebuilt) if clean.get(t) != rebuilt.get(t))
    ctx.note(
        f"after the next run: {len(rebuilt)} tables, {sum(n for n, _ in rebuilt.values()):,} rows; "
        f"differing: {differ or 'none'}; temporary relations left: {leftovers or 'none'} "
        f"(the kills had left {len(left_behind)} in the audit dataset)"
    )
    if not kills:
        return False, "every marts build finished before its kill; nothing was proved"
    if differ or leftovers:
        return False, f"after the rerun: marts differ ({', '.join(differ[:3]) or '-'}), leftovers {leftovers[:3]}"
    return True, (
        f"{kills} of {max(1, ctx.options.trials)} marts builds killed: published marts untouched every time, "
        "next run cleaned the audit dataset and published marts identical to the clean build"
    )
