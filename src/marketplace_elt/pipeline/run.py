"""`marketplace-elt pipeline run`: services up, source seeded, DAG run end to end, summary printed.

The DAG runs through `airflow dags test` (real Airflow, real Cosmos tasks, one process), so a fresh
machine needs no scheduler to see the whole pipeline work; `make airflow` runs the same DAG under
the scheduler and UI.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    run_id: str
    state: str
    seconds: float
    raw_counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # table -> (source, raw)
    task_states: dict[str, str] = field(default_factory=dict)
    gmv_usd: float | None = None
    reconciliation: dict[str, int] = field(default_factory=dict)
    gates: dict[str, str] = field(default_factory=dict)
    published: str | None = None  # the last publish of the marts, as `marts_publish_log` records it

    def dbt_nodes(self) -> tuple[int, int]:
        dbt = {t: s for t, s in self.task_states.items() if t.split(".")[0] in ("staging", "intermediate", "marts")}
        return sum(1 for s in dbt.values() if s == "success"), len(dbt)

    def render(self) -> str:
        lines = [f"pipeline run {self.run_id}: {self.state.upper()} in {self.seconds:.0f}s", ""]
        lines.append(f"{'raw table':<22}{'source rows':>12}{'raw rows':>12}")
        for table, (src, raw) in sorted(self.raw_counts.items()):
            mark = "" if src == raw else "   (raw keeps one row per key / all replays)"
            lines.append(f"{table:<22}{src:>12}{raw:>12}{mark}")
        ok, total = self.dbt_nodes()
        lines.append("")
        lines.append(f"dbt nodes built and tested (model + its tests per task): {ok}/{total}")
        if self.gates:
            lines.append("quality gates: " + ", ".join(f"{k}={v}" for k, v in self.gates.items()))
        if self.published:
            lines.append(f"marts readers see: {self.published}")
        if self.gmv_usd is not None:
            lines.append(f"GMV (USD, fct_orders): {self.gmv_usd:,.2f}")
        if self.reconciliation:
            lines.append("payment reconciliation: " + ", ".join(f"{k}={v}" for k, v in self.reconciliation.items()))
        return "\n".join(lines)


def _airflow_dags_test(settings: Settings, logical_date: str | None) -> tuple[str, int]:
    """Run the DAG once in-process; stream one line per finished task; return (run_id, exit code)."""
    from marketplace_elt.orchestration.airflow_env import airflow_env

    env = {**os.environ, **airflow_env(settings), "PIPELINE_DEADLINE_MINUTES": "0"}  # see dag._deadline
    cmd = [os.path.join(os.path.dirname(sys.executable), "airflow"), "dags", "test", "marketplace_elt"]
    if logical_date:
        cmd.append(logical_date)
    log_path = settings.logs_dir / "pipeline-dags-test.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    run_id = ""
    with open(log_path, "w") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            match = re.search(r"run_id=([^\s,]+)", line)
            if match and not run_id:
                run_id = match.group(1).strip("'\"")
            finished = re.search(r"\[DAG TEST\] end task task_id=([\w.]+)", line)
            if finished:
                print(f"  done: {finished.group(1)}", flush=True)
        code = proc.wait()
    if code != 0:
        print(f"  full log: {log_path}", file=sys.stderr)
    return run_id, code


def run_pipeline(settings: Settings, scale: float, seed: int, logical_date: str | None = None) -> RunSummary:
    from marketplace_elt import services
    from marketplace_elt.orchestration import local_airflow
    from marketplace_elt.orchestration.dag import require_one_shot_mode
    from marketplace_elt.transform import build_manifest
    from marketplace_sim import seed as seed_source
    from marketplace_sim import table_counts

    require_one_shot_mode(settings)
    started = time.monotonic()
    print("[1/5] starting services (PostgreSQL source, BigQuery emulator) ...", flush=True)
    services.up(settings)
    print("[2/5] seeding the source database (skipped when it already has data) ...", flush=True)
    if sum(table_counts(settings).values()) == 0:
        seed_source(settings, scale=scale, seed=seed, reset=False)
    print("[3/5] building the dbt manifest Cosmos renders from ...", flush=True)
    build_manifest(settings)
    print("[4/5] preparing Airflow's metadata database ...", flush=True)
    local_airflow.migrate(settings)
    print("[5/5] running DAG marketplace_elt (airflow dags test) ...", flush=True)
    run_id, code = _airflow_dags_test(settings, logical_date)
    summary = collect_summary(settings, run_id, "success" if code == 0 else "failed", time.monotonic() - started)
    return summary


def _task_states(settings: Settings, run_id: str) -> dict[str, str]:
    from marketplace_elt.orchestration.local_airflow import run_airflow

    if not run_id:
        return {}
    result = run_airflow(
        settings, ["tasks", "states-for-dag-run", "marketplace_elt", run_id, "-o", "json"], capture=True
    )
    try:
        rows: list[dict[str, Any]] = json.loads(result.stdout)
    except json.JSONDecodeError:
        return {}
    return {str(r["task_id"]): str(r["state"]) for r in rows}


def collect_summary(settings: Settings, run_id: str, state: str, seconds: float) -> RunSummary:
    from marketplace_elt.bigquery import client, query_rows
    from marketplace_sim import table_counts

    summary = RunSummary(run_id=run_id, state=state, seconds=seconds)
    summary.task_states = _task_states(settings, run_id)
    bq = client(settings)
    source = table_counts(settings)
    for table, src_count in source.items():
        try:
            raw = query_rows(settings, f"SELECT COUNT(*) AS n FROM `{settings.raw_dataset}.{table}`", bq)[0]["n"]
        except Exception:  # table not loaded (run failed before extract-load finished)
            raw = 0
        summary.raw_counts[table] = (src_count, int(raw))
    from marketplace_elt.publish.marts import PUBLISH_LOG

    marts = f"{settings.bq_project}.{settings.marts_dataset}"
    try:
        gmv = query_rows(settings, f"SELECT SUM(gmv_usd) AS gmv FROM `{marts}.fct_orders`", bq)[0]["gmv"]
        summary.gmv_usd = float(gmv) if gmv is not None else 0.0
        recon = query_rows(
            settings,
            f"SELECT reconciliation_status AS s, COUNT(*) AS n FROM `{marts}.fct_payment_reconciliation` "
            "GROUP BY 1 ORDER BY 2 DESC",
            bq,
        )
        summary.reconciliation = {str(r["s"]): int(r["n"]) for r in recon}
        gates = query_rows(
            settings,
            f"SELECT layer, LOGICAL_AND(success) AS ok FROM `{marts}.quality_gate_results` "
            f"WHERE run_id = '{run_id}' GROUP BY 1",
            bq,
        )
        summary.gates = {str(r["layer"]): "pass" if r["ok"] else "FAIL" for r in gates}
        last = query_rows(
            settings,
            f"SELECT run_id, action, recorded_at FROM `{marts}.{PUBLISH_LOG}` "
            "WHERE state = 'done' ORDER BY recorded_at DESC LIMIT 1",
            bq,
        )
        if last:
            entry = last[0]
            this_run = " (this run)" if entry["run_id"] == run_id else " (NOT this run: it did not publish)"
            summary.published = f"{entry['action']} of run {entry['run_id']} at {entry['recorded_at']:%Y-%m-%d %H:%M}"
            summary.published += this_run
    except Exception as exc:  # marts absent when the run stopped at a gate: the summary says so
        log.debug("marts not readable: %s", exc)
    return summary


def ensure_success(summary: RunSummary) -> None:
    if summary.state != "success":
        failed = [t for t, s in summary.task_states.items() if s in ("failed", "upstream_failed")]
        raise UserError(
            f"pipeline run failed at {', '.join(failed[:5]) or 'an early step'}; "
            "read the task log above (or docs/runbook.md) and rerun `make run`: every step is idempotent"
        )
