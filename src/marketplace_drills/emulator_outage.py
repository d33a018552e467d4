"""Drill: the BigQuery emulator stops in the middle of a DAG run.

The DAG runs as in production (``dag.test()``, production retry count) with a short fixed retry
delay. As soon as the first extract-load task starts, the emulator is stopped; once a task has
failed against it, the emulator is started again (same data directory). Passing means: a task
failed with a clear one-line reason naming BigQuery, it was retried after the restart and
succeeded, and the whole run completed successfully.
"""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from marketplace_bench.dag_run import run_dag
from marketplace_drills.base import DrillContext
from marketplace_drills.steps import prepare_airflow, seed_source
from marketplace_elt.services.bq_emulator import BigQueryEmulator

STARTED = "[DAG TEST] starting task_id=extract_load."
ENDED = re.compile(r"\[DAG TEST\] end task task_id=(\S+)")
EXCEPTION_LINE = re.compile(r"^[\w.]*(?:Error|Exception): (.+)$", re.M)


def failure_reason(log_text: str) -> str:
    """The message of the first exception the task log shows, preferring one that names BigQuery."""
    messages = [m.strip() for m in EXCEPTION_LINE.findall(log_text)]
    named = [m for m in messages if "BigQuery" in m]
    return (named or messages or [""])[0][:300]


class Outage:
    """Watches the DAG run's log: stops the emulator when extract-load starts, restarts it after a failure."""

    def __init__(self, ctx: DrillContext, log: Path) -> None:
        self.ctx = ctx
        self.log = log
        self.emulator = BigQueryEmulator(ctx.base)
        self.phase = "waiting"
        self.offset = 0
        self.stopped_at = 0.0
        self.down_s = 0.0
        self.first_failed: str | None = None

    def _new_text(self) -> str:
        try:
            with open(self.log, errors="replace") as fh:
                fh.seek(self.offset)
                text = fh.read()
                self.offset = fh.tell()
        except OSError:
            return ""
        return text

    def __call__(self, proc: subprocess.Popen[bytes], elapsed: float) -> bool:
        text = self._new_text()
        if self.phase == "waiting" and STARTED in text:
            self.emulator.stop()
            self.stopped_at = time.monotonic()
            self.phase = "down"
            self.ctx.note(f"emulator stopped {elapsed:.0f}s into the run, as extract-load started")
        elif self.phase == "down":
            ended = ENDED.search(text)
            if ended or time.monotonic() - self.stopped_at > 120:
                self.first_failed = ended.group(1) if ended else None
                self.emulator.start()
                self.down_s = time.monotonic() - self.stopped_at
                self.phase = "restarted"
                self.ctx.note(
                    f"emulator restarted after {self.down_s:.0f}s down (first task ended: {self.first_failed})"
                )
        return False


def run(ctx: DrillContext) -> tuple[bool, str]:
    seed_source(ctx)
    prepare_airflow(ctx)
    log = ctx.logs / "dag-run.log"
    outage = Outage(ctx, log)
    try:
        run = run_dag(
            ctx.settings,
            log,
            retries=ctx.options.retries,
            retry_delay_s=ctx.options.retry_delay_s,
            watch=outage,
            timeout_s=3600,
        )
    finally:
        if not outage.emulator.status().healthy:
            outage.emulator.start()
    failed_tries = [t for t in run.tries if t.state in ("up_for_retry", "failed")]
    final = run.final()
    recovered = sorted(
        {t.task_id for t in failed_tries if final.get(t.task_id) and final[t.task_id].state == "success"}
    )
    reason = failure_reason(run.log_text())
    ctx.note(
        f"failed tries while the emulator was down: {len(failed_tries)} "
        f"({', '.join(sorted({t.task_id for t in failed_tries})[:4])})"
    )
    ctx.note(f"reason logged: {reason or 'none found'}")
    ctx.note(
        f"tasks that succeeded on a later try: {len(recovered)}; run {run.run_id}: {run.state} in {run.wall_s:.0f}s"
    )
    problems = []
    if outage.phase != "restarted":
        problems.append("the emulator was never stopped and restarted (the run did not reach extract-load?)")
    if not failed_tries:
        problems.append("no task failed while the emulator was down")
    if not reason or "BigQuery" not in reason:
        problems.append("no clear one-line reason naming BigQuery in the task log")
    if not recovered:
        problems.append("no failed task succeeded on retry")
    if run.state != "success":
        problems.append(f"the run ended {run.state}")
    for p in problems:
        ctx.note(f"problem: {p}")
    if problems:
        return False, problems[0]
    return True, f"{len(recovered)} task(s) failed on the outage, retried after the restart, run completed"
