"""The dashboard (Streamlit, dashboard/ at the repository root) as a local process.

The app runs from its own virtualenv (.venv-dashboard, built from dashboard/requirements.lock) and
never imports this package: everything it needs to reach the published marts is handed to it as
environment variables derived from the settings (:func:`dashboard_env`).
"""

from __future__ import annotations

import os
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from marketplace_elt.errors import ConfigError, ServiceError
from marketplace_elt.services.process import port_in_use, read_pid, terminate, wait_until
from marketplace_elt.settings import PROJECT_ROOT, Settings

APP_DIR = PROJECT_ROOT / "dashboard"
DASHBOARD_VENV = Path(os.environ.get("DASHBOARD_VENV") or str(PROJECT_ROOT / ".venv-dashboard"))
DEFAULT_PORT = 8501
HOST = "127.0.0.1"


def dashboard_port() -> int:
    """DASHBOARD_PORT (default 8501): where `dashboard start` serves the app, on 127.0.0.1."""
    raw = os.environ.get("DASHBOARD_PORT") or str(DEFAULT_PORT)
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"DASHBOARD_PORT={raw!r} is not a whole number; set it to e.g. {DEFAULT_PORT}") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"DASHBOARD_PORT={port} is outside 1..65535; set it to e.g. {DEFAULT_PORT}")
    return port


def dashboard_env(settings: Settings) -> dict[str, str]:
    """What the app reads (dashboard/warehouse.py): the published marts of this deployment, never the audit build."""
    return {
        "DASHBOARD_BQ_PROJECT": settings.bq_project,
        "DASHBOARD_BQ_LOCATION": settings.bq_location,
        "DASHBOARD_BQ_ENDPOINT": settings.bq_emulator_url or "",
        "DASHBOARD_MARTS_DATASET": settings.marts_dataset,
    }


def streamlit_command(port: int, address: str = HOST) -> list[str]:
    """The `streamlit run` command line: headless, no telemetry, no file watcher, bound to ``address``."""
    return [
        str(DASHBOARD_VENV / "bin" / "streamlit"),
        "run",
        str(APP_DIR / "app.py"),
        "--server.address",
        address,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--global.developmentMode",
        "false",
        "--client.toolbarMode",
        "viewer",
    ]


@dataclass(frozen=True)
class DashboardStatus:
    running: bool
    healthy: bool
    pid: int | None
    port: int

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


class Dashboard:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.home / "dashboard"
        self.pid_file = self.root / "dashboard.pid"
        self.log_file = settings.logs_dir / "dashboard.log"

    def _recorded(self) -> tuple[int | None, int]:
        """(pid if alive, port) from the pid file; the port is the configured one when nothing runs."""
        pid = read_pid(self.pid_file)
        if pid is None:
            return None, dashboard_port()
        try:
            port = int(self.pid_file.read_text().split()[1])
        except (IndexError, ValueError, FileNotFoundError):
            port = dashboard_port()
        return pid, port

    @staticmethod
    def healthy(port: int) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/_stcore/health", timeout=2) as resp:
                return bool(resp.read().strip() == b"ok")
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def status(self) -> DashboardStatus:
        pid, port = self._recorded()
        return DashboardStatus(pid is not None, pid is not None and self.healthy(port), pid, port)

    def start(self, timeout: float = 90.0) -> DashboardStatus:
        """Start the app (idempotent: a healthy running dashboard is left as it is)."""
        status = self.status()
        if status.healthy:
            return status
        if status.pid:
            terminate(status.pid)  # a half-started leftover: start clean
        exe = DASHBOARD_VENV / "bin" / "streamlit"
        if not exe.exists():
            raise ServiceError(f"the dashboard is not installed at {DASHBOARD_VENV}; run `make install`")
        port = dashboard_port()
        if port_in_use(port):
            raise ServiceError(
                f"port {port} is already taken by another process; "
                "set DASHBOARD_PORT to a free port (or stop that process)"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, **dashboard_env(self.settings), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
        with open(self.log_file, "ab") as out:
            proc = subprocess.Popen(
                streamlit_command(port),
                cwd=APP_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(f"{proc.pid} {port}\n")
        if not wait_until(lambda: self.healthy(port) or proc.poll() is not None, timeout, interval=0.5):
            terminate(proc.pid)
            self.pid_file.unlink(missing_ok=True)
            raise ServiceError(f"the dashboard did not answer within {timeout:.0f}s; see {self.log_file}")
        if proc.poll() is not None:
            self.pid_file.unlink(missing_ok=True)
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-1:]
            raise ServiceError(f"the dashboard exited at start ({' '.join(tail)}); see {self.log_file}")
        return DashboardStatus(True, True, proc.pid, port)

    def stop(self) -> bool:
        """Stop the dashboard this state directory started; False when none was running."""
        pid, _ = self._recorded()
        if pid:
            terminate(pid)
        self.pid_file.unlink(missing_ok=True)
        return pid is not None
