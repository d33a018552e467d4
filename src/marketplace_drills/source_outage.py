"""Drill: the source database is unreachable. Extract-load must fail fast with a one-line reason,
the failure must reach on-call (the alert webhook), and nothing downstream may run.

The source URL of the drill's DAG run points at a local port nobody listens on (what a source host
that is down looks like). Two checks:

* `marketplace-elt el sync` exits with code 2 and one line on stderr, within seconds;
* a DAG run (``dag.test()``, production retry count, short retry delay): every extract-load task
  fails, each try within seconds, an alert per failed task reaches a local webhook receiver with
  the one-line reason, and no gate, dbt task or publish step starts.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from urllib.parse import urlsplit, urlunsplit

from marketplace_bench.dag_run import run_dag
from marketplace_drills.base import DrillContext
from marketplace_drills.steps import prepare_airflow, seed_source
from marketplace_drills.webhook import AlertReceiver

FAST_S = 15.0  # one failed try, including Airflow's own task start-up
RAN = ("success", "failed", "running", "up_for_retry")


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit(":", 1)[0] if parts.port else parts.netloc
    return urlunsplit((parts.scheme, f"{netloc}:{port}", parts.path, parts.query, parts.fragment))


def run(ctx: DrillContext) -> tuple[bool, str]:
    seed_source(ctx)
    prepare_airflow(ctx)
    port = _dead_port()
    dead_url = _with_port(ctx.settings.source_db_url, port)
    ctx.note(f"SOURCE_DB_URL points at 127.0.0.1:{port} (nothing listens there)")
    problems: list[str] = []

    # 1. the CLI
    started = time.perf_counter()
    cli = ctx.cli("el", "sync", env={"SOURCE_DB_URL": dead_url})
    cli_s = time.perf_counter() - started
    lines = [line for line in cli.stderr.strip().splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    ctx.note(f"`el sync`: exit {cli.returncode} after {cli_s:.1f}s: {errors[-1] if errors else lines[-1:]}")
    if cli.returncode != 2 or len(errors) != 1 or "source database" not in errors[0]:
        problems.append("`el sync` did not end with exactly one clear error line and exit code 2")

    # 2. the DAG
    with AlertReceiver() as receiver:
        run = run_dag(
            dataclasses.replace(ctx.settings, source_db_url=dead_url, alert_webhook_url=receiver.url),
            ctx.logs / "dag-run.log",
            retries=ctx.options.retries,
            retry_delay_s=min(ctx.options.retry_delay_s, 1.0),
            extra_env={"SOURCE_DB_URL": dead_url, "ALERT_WEBHOOK_URL": receiver.url},
            timeout_s=900,
        )
        time.sleep(1)
        alerts = list(receiver.payloads)
    states = run.states()
    el_tasks = {t: s for t, s in states.items() if t.startswith("extract_load.")}
    downstream_ran = sorted(t for t, s in states.items() if not t.startswith("extract_load.") and s in RAN)
    el_tries = [t for t in run.tries if t.task_id.startswith("extract_load.")]
    slowest = max((t.seconds or 0.0 for t in el_tries), default=0.0)
    ctx.note(
        f"DAG run {run.run_id or '?'}: {run.state}; extract-load tasks {sorted(set(el_tasks.values()))} "
        f"({len(el_tries)} tries, slowest {slowest:.1f}s)"
    )
    ctx.note(f"downstream tasks that ran: {downstream_ran or 'none'}")
    reasons = sorted({str(a.get("reason", "")) for a in alerts})
    ctx.note(f"alerts received: {len(alerts)}; reason: {reasons[0][:160] if reasons else '-'}")
    from marketplace_elt.bigquery import client

    loaded = [
        t.table_id for t in client(ctx.settings).list_tables(f"{ctx.settings.bq_project}.{ctx.settings.raw_dataset}")
    ]
    ctx.note(f"raw tables written: {len(loaded)}")
    if not el_tasks or any(s != "failed" for s in el_tasks.values()):
        problems.append("not every extract-load task failed")
    if slowest > FAST_S:
        problems.append(f"a failing extract-load try took {slowest:.1f}s (> {FAST_S:.0f}s)")
    if downstream_ran:
        problems.append(f"downstream tasks ran: {downstream_ran[:3]}")
    if not alerts:
        problems.append("no alert reached the webhook")
    elif any("\n" in r or "source database" not in r for r in reasons):
        problems.append("an alert's reason is not the one-line source error")
    if run.state != "failed":
        problems.append(f"the run ended {run.state}, not failed")
    for p in problems:
        ctx.note(f"problem: {p}")
    if problems:
        return False, problems[0]
    return True, (
        f"el sync failed in {cli_s:.1f}s with one line; {len(el_tasks)} EL tasks failed fast, "
        f"{len(alerts)} alerts sent, nothing downstream ran"
    )
