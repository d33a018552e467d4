"""Drill: `kill -9` the loader at random points of a sync, rerun it, and raw must equal the source.

Trial 1 kills the initial full load; every later trial first changes the source (updates that move
cursors, payments stored late, new events, a category toggled) and kills the incremental sync that
follows. The kill lands at a random moment within the duration of the previous complete sync, so
it hits extract, load, MERGE and state writes alike. After each kill `el sync` is rerun to
completion and raw is compared with the source stream by stream (no duplicate key, nothing
missing or stale, nothing extra).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from marketplace_drills.base import DrillContext
from marketplace_drills.compare import compare_raw_to_source
from marketplace_drills.source_changes import business_changes
from marketplace_drills.steps import last_line, seed_source

STARTUP_S = 3.0  # interpreter and imports before `el sync` logs its first line (until measured)


def _kill_during_sync(ctx: DrillContext, step: int, extra: float, trial: int) -> tuple[bool, str, float]:
    """Start `el sync`, SIGKILL it ``extra`` s after its ``step``-th progress line.

    Counting progress lines, not seconds, makes every kill land inside the sync whatever the speed
    of the machine: a sync of nine streams logs at least one line per stream before its summary.
    Returns (killed?, what it was doing at that moment, seconds from process start to its first line).
    """
    log = ctx.logs / f"kill-{trial}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "marketplace_elt.cli", "el", "sync"],
            env={**os.environ, **ctx.workspace.env()},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline: float | None = None
        launched = time.monotonic()
        startup = STARTUP_S
        give_up = launched + 120
        while proc.poll() is None and time.monotonic() < give_up:
            if startup == STARTUP_S and log.stat().st_size > 0:
                startup = time.monotonic() - launched
            if deadline is None and log.read_bytes().count(b" INFO ") >= step:
                deadline = time.monotonic() + extra
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        if proc.poll() is not None:
            return False, "sync finished before the kill", startup
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    return True, last_line(log, " INFO "), startup


def run(ctx: DrillContext) -> tuple[bool, str]:
    rnd = random.Random(ctx.options.random_seed)
    trials = ctx.options.trials
    seed_source(ctx)
    estimate = 0.0  # seconds of the last rerun after start-up (reported with each trial)
    killed = 0
    bad: list[int] = []
    for trial in range(1, trials + 1):
        if trial > 1:
            business_changes(ctx.settings, rnd)
        # a random progress line (the sync's start line, then 1+ per stream) and a little jitter
        step, delay = rnd.randint(1, 9), rnd.uniform(0.0, 0.1)
        was_killed, where, startup = _kill_during_sync(ctx, step, delay, trial)
        killed += was_killed
        started = time.perf_counter()
        rerun = ctx.cli("el", "sync")
        estimate = max(0.5, time.perf_counter() - started - startup)
        if rerun.returncode != 0:
            bad.append(trial)
            ctx.note(f"trial {trial}: rerun FAILED: {rerun.stderr.strip().splitlines()[-1:]}")
            continue
        checks = compare_raw_to_source(ctx.settings)
        wrong = [c for c in checks if not c.ok]
        source_rows = sum(c.source_rows for c in checks)
        raw_rows = sum(c.raw_rows for c in checks)
        dups = sum(c.duplicates for c in checks)
        missing = sum(c.missing for c in checks)
        outcome = "killed" if was_killed else "not killed"
        ctx.note(
            f"trial {trial}: {outcome} {delay:.2f}s after progress line {step} ({where[-90:]}); "
            f"rerun took {estimate:.1f}s; "
            f"source {source_rows:,} rows, raw {raw_rows:,} rows, duplicate keys {dups}, missing/stale {missing}"
            + ("" if not wrong else f"; MISMATCH in {', '.join(c.stream for c in wrong)}")
        )
        for check in wrong:
            ctx.note("    " + check.line())
        if wrong:
            bad.append(trial)
    enough = killed >= max(1, trials // 2)
    if not enough:
        ctx.note(f"only {killed} of {trials} syncs were still running at the kill: too few to prove anything")
    passed = not bad and enough
    summary = (
        f"{killed}/{trials} syncs killed mid-way, raw equal to source after every rerun"
        if passed
        else (f"raw differed from the source after trial(s) {bad}" if bad else f"only {killed}/{trials} kills landed")
    )
    return passed, summary
