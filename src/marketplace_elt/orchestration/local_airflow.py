"""Running Airflow on this machine: metadata DB, the four components, the REST API, `dags test`."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from marketplace_elt.errors import ServiceError, UserError
from marketplace_elt.orchestration.airflow_env import ADMIN_USER, admin_password, airflow_env
from marketplace_elt.services.process import port_in_use, read_pid, terminate, wait_until
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def _airflow_exe() -> str:
    exe = Path(sys.executable).parent / "airflow"
    return str(exe) if exe.exists() else "airflow"


def run_airflow(settings: Settings, args: list[str], capture: bool = False) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **airflow_env(settings)}
    return subprocess.run([_airflow_exe(), *args], env=env, text=True, capture_output=capture)


def migrate(settings: Settings) -> None:
    """Create or upgrade Airflow's metadata database (idempotent)."""
    result = run_airflow(settings, ["db", "migrate"], capture=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:]
        raise ServiceError(f"`airflow db migrate` failed ({' '.join(tail)}); is the metadata DB reachable?")


def _pid_file(settings: Settings, component: str) -> Path:
    return settings.airflow_home / f"{component}.pid"


# Imports the DAG folder the way the dag-processor does (DagBag, with Airflow's import timeout and
# its DAG validation, e.g. of the schedule) and prints {file: error} as JSON on the last line.
_IMPORT_CHECK = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
print(json.dumps(DagBag(dag_folder=sys.argv[1]).import_errors))
"""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no detail"


def dag_import_errors(settings: Settings, dags_folder: Path | None = None) -> dict[str, str]:
    """{file: error} for every DAG file that does not import under this deployment's environment."""
    env = {**os.environ, **airflow_env(settings)}
    folder = str(dags_folder or env["AIRFLOW__CORE__DAGS_FOLDER"])
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_CHECK, folder], env=env, capture_output=True, text=True, timeout=600
    )
    try:
        errors = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise ServiceError(
            f"could not import the DAG folder {folder} to check it ({_last_line(result.stderr)}); "
            "run `marketplace-elt airflow exec dags list-import-errors`"
        ) from None
    return {str(path): str(error) for path, error in errors.items()}


def require_dags_import(settings: Settings, dags_folder: Path | None = None) -> None:
    """Refuse to start Airflow on a DAG file that does not import: the old DAG would stay registered."""
    errors = dag_import_errors(settings, dags_folder)
    if not errors:
        return
    report = settings.logs_dir / "dag-import-errors.log"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("".join(f"== {path}\n{error}\n" for path, error in sorted(errors.items())))
    path, error = sorted(errors.items())[0]
    raise ServiceError(
        f"the DAG file {path} does not import: {_last_line(error)}; fix it and rerun "
        f"`marketplace-elt airflow start` (nothing was (re)started; full error in {report})"
    )


def start(settings: Settings, timeout: float = 180.0) -> str:
    """Start the four Airflow components in the background; return the UI URL once it answers.

    Fails first, starting nothing, when the DAG file does not import.
    """
    require_dags_import(settings)
    base = f"http://127.0.0.1:{settings.airflow_port}"
    running = {c: read_pid(_pid_file(settings, c)) for c in COMPONENTS}
    if all(running.values()) and api_ready(base):
        return base
    if not running["api-server"] and port_in_use(settings.airflow_port):
        raise ServiceError(
            f"port {settings.airflow_port} is already taken by another process; set AIRFLOW_PORT to a free port"
        )
    env = {**os.environ, **airflow_env(settings)}
    settings.logs_dir.mkdir(parents=True, exist_ok=True)
    for component in COMPONENTS:
        if running[component]:
            continue
        with open(settings.logs_dir / f"airflow-{component}.log", "ab") as out:
            proc = subprocess.Popen(
                [_airflow_exe(), component],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _pid_file(settings, component).write_text(str(proc.pid))
    if not wait_until(lambda: api_ready(base), timeout, interval=1.0):
        raise ServiceError(
            f"Airflow API not answering on {base} after {timeout:.0f}s; see {settings.logs_dir}/airflow-api-server.log"
        )
    return base


def running(settings: Settings) -> bool:
    """Whether this deployment's Airflow (any component, or its API port) is up."""
    if any(read_pid(_pid_file(settings, c)) for c in COMPONENTS):
        return True
    return api_ready(f"http://127.0.0.1:{settings.airflow_port}")


def stop(settings: Settings) -> None:
    for component in reversed(COMPONENTS):
        pid = read_pid(_pid_file(settings, component))
        if pid:
            terminate(pid, timeout=20)
        _pid_file(settings, component).unlink(missing_ok=True)


def api_ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/api/v2/version", timeout=3) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


class AirflowApi:
    """Minimal client of Airflow's REST API v2 (token auth) for triggering and watching runs."""

    def __init__(self, settings: Settings) -> None:
        self.base = f"http://127.0.0.1:{settings.airflow_port}"
        self.password = admin_password(settings)
        self._token: str | None = None

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None, auth: bool = True) -> Any:
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {self.token()}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"{self.base}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:300]
            raise ServiceError(f"Airflow API {method} {path} answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServiceError(
                f"Airflow API at {self.base} is not answering ({reason}); start it with `marketplace-elt airflow start`"
            ) from None
        return json.loads(raw) if raw else None

    def token(self) -> str:
        if self._token is None:
            answer = self._request(
                "POST", "/auth/token", {"username": ADMIN_USER, "password": self.password}, auth=False
            )
            self._token = str(answer["access_token"])
        return self._token

    def unpause(self, dag_id: str) -> None:
        self._request("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})

    def wait_for_dag(self, dag_id: str, timeout: float = 180.0) -> None:
        def parsed() -> bool:
            try:
                self._request("GET", f"/api/v2/dags/{dag_id}")
                return True
            except ServiceError:
                return False

        if not wait_until(parsed, timeout, interval=2.0):
            raise ServiceError(f"DAG {dag_id} not parsed after {timeout:.0f}s; see the dag-processor log")

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None) -> str:
        answer = self._request("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
        return str(answer["dag_run_id"])

    def run_state(self, dag_id: str, run_id: str) -> str:
        from urllib.parse import quote

        answer = self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}")
        return str(answer["state"])

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        """The run's task instances (latest try of each): task_id, state, try_number, start/end dates."""
        from urllib.parse import quote

        answer = self._request(
            "GET", f"/api/v2/dags/{dag_id}/dagRuns/{quote(run_id, safe='')}/taskInstances?limit=1000"
        )
        return list(answer["task_instances"])

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        return {ti["task_id"]: str(ti["state"]) for ti in self.task_instances(dag_id, run_id)}

    def backfill(self, dag_id: str, from_date: str, to_date: str, max_active_runs: int = 1) -> int:
        """Create a backfill over [from_date, to_date] (the scheduler runs it); returns its id."""
        answer = self._request(
            "POST",
            "/api/v2/backfills",
            {
                "dag_id": dag_id,
                "from_date": from_date,
                "to_date": to_date,
                "max_active_runs": max_active_runs,
                "reprocess_behavior": "completed",
                "dag_run_conf": {},
            },
        )
        return int(answer["id"])

    def runs(self, dag_id: str) -> list[dict[str, Any]]:
        """Every run of the DAG (newest first): run_id, run_type, state, data interval."""
        answer = self._request("GET", f"/api/v2/dags/{dag_id}/dagRuns?limit=100&order_by=-logical_date")
        return list(answer["dag_runs"])

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float = 1800.0) -> str:
        deadline = time.monotonic() + timeout
        state = "queued"
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in ("success", "failed"):
                return state
            time.sleep(5)
        raise UserError(f"run {run_id} still {state} after {timeout:.0f}s; watch it in the Airflow UI")
