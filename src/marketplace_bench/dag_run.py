"""Run the `marketplace_elt` DAG once in a child process and report every task instance.

The child builds the DAG from the settings in its environment and runs it with Airflow's own
``dag.test()`` (what ``airflow dags test`` does: real operators, real Cosmos tasks, state in the
metadata DB). Two optional overrides exist for the fault drills: ``retries`` (0 shows the first
failure at once) and ``retry_delay_s`` (a short fixed delay, so a retry after a restored service
happens within seconds instead of after the production back-off).

At the end the child prints one line ``DAG_RUN_RESULT {json}`` with the run's state and, per task
instance and per try, the state, start and end; :func:`run_dag` parses it into a :class:`DagRun`.

    python -m marketplace_bench.dag_run [--retries N] [--retry-delay S]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from marketplace_elt.settings import Settings

RESULT_MARKER = "DAG_RUN_RESULT "
DBT_GROUPS = ("staging", "intermediate", "marts")


@dataclass(frozen=True)
class TaskTry:
    """One try of one task instance."""

    task_id: str
    try_number: int
    state: str
    start: datetime | None
    end: datetime | None

    @property
    def seconds(self) -> float | None:
        return (self.end - self.start).total_seconds() if self.start and self.end else None

    @property
    def group(self) -> str:
        return self.task_id.split(".", 1)[0] if "." in self.task_id else ""


@dataclass
class DagRun:
    """What a DAG run did: its id and state, every try of every task, the child's output and timing."""

    run_id: str
    state: str
    tries: list[TaskTry] = field(default_factory=list)
    exit_code: int | None = None
    wall_s: float = 0.0
    log_path: Path | None = None
    killed: bool = False

    def final(self) -> dict[str, TaskTry]:
        """The last try of every task instance."""
        out: dict[str, TaskTry] = {}
        for t in sorted(self.tries, key=lambda t: t.try_number):
            out[t.task_id] = t
        return out

    def states(self) -> dict[str, str]:
        return {task_id: t.state for task_id, t in self.final().items()}

    def group_seconds(self, group: str) -> float | None:
        """Span of a task group: first task start to last task end (all tries)."""
        tries = [t for t in self.tries if t.group == group and t.start and t.end]
        if not tries:
            return None
        start = min(t.start for t in tries if t.start)
        end = max(t.end for t in tries if t.end)
        return (end - start).total_seconds()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def parse_result(text: str) -> dict[str, Any] | None:
    for line in reversed(text.splitlines()):
        if line.startswith(RESULT_MARKER):
            data: dict[str, Any] = json.loads(line[len(RESULT_MARKER) :])
            return data
    return None


def run_dag(
    settings: Settings,
    log_path: Path,
    *,
    retries: int | None = None,
    retry_delay_s: float | None = None,
    extra_env: dict[str, str] | None = None,
    timeout_s: float = 3600,
    watch: Callable[[subprocess.Popen[bytes], float], bool] | None = None,
) -> DagRun:
    """Run the DAG once in a child process; its output goes to ``log_path``.

    ``watch(proc, elapsed_s)`` is called about every half second while the child runs; returning
    True means the watcher killed the child (the run is then marked ``killed``).
    """
    from marketplace_elt.orchestration.airflow_env import airflow_env

    env = {**os.environ, **airflow_env(settings), **(extra_env or {})}
    cmd = [sys.executable, "-m", "marketplace_bench.dag_run"]
    if retries is not None:
        cmd += ["--retries", str(retries)]
    if retry_delay_s is not None:
        cmd += ["--retry-delay", str(retry_delay_s)]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    killed = False
    with open(log_path, "wb") as out:
        proc = subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        try:
            while proc.poll() is None:
                elapsed = time.monotonic() - started
                if elapsed > timeout_s:
                    kill_group(proc)
                    raise TimeoutError(f"DAG run did not finish in {timeout_s:.0f}s; see {log_path}")
                if watch is not None and not killed and watch(proc, elapsed):
                    killed = True
                time.sleep(0.5)
        finally:
            if proc.poll() is None:
                kill_group(proc)
    wall = time.monotonic() - started
    data = parse_result(log_path.read_text(errors="replace")) or {}
    tries = [
        TaskTry(
            task_id=str(t["task_id"]),
            try_number=int(t["try_number"]),
            state=str(t["state"]),
            start=_parse_time(t.get("start")),
            end=_parse_time(t.get("end")),
        )
        for t in data.get("tries", [])
    ]
    return DagRun(
        run_id=str(data.get("run_id", "")),
        state=str(data.get("state", "killed" if killed else "unknown")),
        tries=tries,
        exit_code=proc.returncode,
        wall_s=wall,
        log_path=log_path,
        killed=killed,
    )


def run_dag_scheduled(settings: Settings, timeout_s: float = 1800) -> DagRun:
    """Run the DAG once under Airflow's own scheduler, as `make airflow` runs it in production.

    Starts the Airflow components (LocalExecutor, task processes forked from the preloaded
    forkserver, tasks in parallel), triggers a run over the REST API, waits for it and stops the
    components again. Refuses to run beside an Airflow that is already up: that one would run the
    DAG against its own settings, not the workspace's.
    """
    from marketplace_elt.errors import UserError
    from marketplace_elt.orchestration import local_airflow
    from marketplace_elt.orchestration.dag import DAG_ID

    if local_airflow.running(settings):
        raise UserError(
            "Airflow is already running (make airflow); stop it with `marketplace-elt airflow stop` first: "
            "this measurement starts its own scheduler on the bench workspace"
        )
    local_airflow.migrate(settings)
    local_airflow.start(settings)
    try:
        api = local_airflow.AirflowApi(settings)
        api.wait_for_dag(DAG_ID)
        started = time.monotonic()
        run_id = api.trigger(DAG_ID)
        api.unpause(DAG_ID)
        state = api.wait_for_run(DAG_ID, run_id, timeout=timeout_s)
        wall = time.monotonic() - started
        instances = api.task_instances(DAG_ID, run_id)
    finally:
        local_airflow.stop(settings)
    tries = [
        TaskTry(
            task_id=str(ti["task_id"]),
            try_number=int(ti.get("try_number") or 0),
            state=str(ti["state"]),
            start=_parse_time(ti.get("start_date")),
            end=_parse_time(ti.get("end_date")),
        )
        for ti in instances
    ]
    return DagRun(
        run_id=run_id, state=state, tries=tries, wall_s=wall, log_path=settings.logs_dir / "airflow-scheduler.log"
    )


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the child and everything it started (it runs in its own session)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def task_tries(run_id: str, dag_id: str) -> list[dict[str, Any]]:
    """Every try of every task instance of the run, from Airflow's metadata DB (child side)."""
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session
    from sqlalchemy import select

    rows: list[dict[str, Any]] = []
    with create_session() as session:
        models: tuple[Any, ...] = (TaskInstanceHistory, TaskInstance)
        for model in models:
            query = select(model).where(model.dag_id == dag_id, model.run_id == run_id)
            instances: list[Any] = list(session.scalars(query))
            for ti in instances:
                rows.append(
                    {
                        "task_id": ti.task_id,
                        "try_number": ti.try_number,
                        "state": str(ti.state.value if hasattr(ti.state, "value") else ti.state),
                        "start": _iso(ti.start_date),
                        "end": _iso(ti.end_date),
                    }
                )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="run the marketplace_elt DAG once (dag.test) and report its tasks")
    parser.add_argument("--retries", type=int, default=None, help="override every task's retries")
    parser.add_argument("--retry-delay", type=float, default=None, help="fixed retry delay in seconds")
    args = parser.parse_args(argv)

    # dag.test() in Airflow 3.3 fails when the finished run looks up the DAG's deadline alert (the
    # round-tripped DAG holds the alert's definition where the scheduler expects its id); a one-off
    # run has no deadline to watch anyway, so it is switched off as `pipeline run` does.
    os.environ["PIPELINE_DEADLINE_MINUTES"] = "0"
    from marketplace_elt.orchestration.dag import DAG_ID, build_dag

    dag = build_dag()
    for task in dag.tasks:
        if args.retries is not None:
            task.retries = args.retries
        if args.retry_delay is not None:
            task.retry_delay = timedelta(seconds=args.retry_delay)
            task.retry_exponential_backoff = False
    run = dag.test()
    state = str(run.state.value if hasattr(run.state, "value") else run.state)
    result = {"run_id": run.run_id, "state": state, "tries": task_tries(run.run_id, DAG_ID)}
    print(RESULT_MARKER + json.dumps(result), flush=True)
    return 0 if state == "success" else 1


if __name__ == "__main__":
    sys.exit(main())
