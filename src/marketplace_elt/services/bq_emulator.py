"""The local BigQuery API emulator (PyPI `bqemulator`, DuckDB-backed), run from its own virtualenv.

It lives in `.venv-bqemulator` because its DuckDB pin clashes with the main environment. It needs
DuckDB's spatial extension at start; we point the process's HOME at a private directory holding the
extension file shipped in the `duckdb-extension-spatial` wheel, so nothing is downloaded.
"""

from __future__ import annotations

import glob
import json
import logging
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from marketplace_elt.errors import ServiceError
from marketplace_elt.services.process import port_in_use, read_pid, terminate, wait_until
from marketplace_elt.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

DUCKDB_VERSION = "v1.5.5"
EMULATOR_VENV = Path(os.environ.get("BQ_EMULATOR_VENV", str(PROJECT_ROOT / ".venv-bqemulator")))
LAUNCHER = PROJECT_ROOT / "bq_emulator" / "launch.py"


@dataclass(frozen=True)
class EmulatorStatus:
    running: bool
    healthy: bool
    port: int
    pid: int | None
    detail: str


class BigQueryEmulator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.bq_dir
        self.data_dir = self.root / "data"
        self.home_dir = self.root / "home"
        self.pid_file = self.root / "emulator.pid"
        self.log_file = settings.logs_dir / "bq_emulator.log"
        self.port = settings.bq_emulator_port
        self.url = f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        """The emulator's CLI, started through bq_emulator/launch.py (no per-write snapshot copies)."""
        if not (EMULATOR_VENV / "bin" / "bqemulator").exists():
            raise ServiceError(f"BigQuery emulator not installed at {EMULATOR_VENV}; run `make install`")
        return [str(EMULATOR_VENV / "bin" / "python"), str(LAUNCHER)]

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as resp:
                return bool(json.loads(resp.read()).get("status") == "ok")
        except (urllib.error.URLError, OSError, ValueError):
            return False

    def status(self) -> EmulatorStatus:
        pid = read_pid(self.pid_file)
        healthy = self.healthy() if pid else False
        detail = "running" if healthy else ("starting or unhealthy" if pid else "stopped")
        return EmulatorStatus(pid is not None, healthy, self.port, pid, detail)

    def _install_spatial_extension(self) -> None:
        target = self.home_dir / ".duckdb" / "extensions" / DUCKDB_VERSION / "linux_amd64"
        if (target / "spatial.duckdb_extension").exists():
            return
        found = glob.glob(
            str(
                EMULATOR_VENV
                / "lib"
                / "python*"
                / "site-packages"
                / "duckdb_extension_spatial"
                / "extensions"
                / DUCKDB_VERSION
                / "spatial.duckdb_extension"
            )
        )
        if not found:
            raise ServiceError("DuckDB spatial extension missing from the emulator venv; run `make install`")
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy2(found[0], target / "spatial.duckdb_extension")

    def start(self, timeout: float = 60.0) -> None:
        status = self.status()
        if status.healthy:
            return
        if status.running and status.pid:
            terminate(status.pid)  # a half-started leftover: start clean
        if port_in_use(self.port):
            raise ServiceError(
                f"port {self.port} is already taken by another process; "
                f"set BQ_EMULATOR_PORT to a free port (or stop that process)"
            )
        if port_in_use(self.settings.bq_emulator_grpc_port):
            raise ServiceError(
                f"port {self.settings.bq_emulator_grpc_port} is already taken by another process; "
                f"set BQ_EMULATOR_GRPC_PORT to a free port"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._install_spatial_extension()
        cmd = [
            *self.command(),
            "start",
            "--persistent",
            "--data-dir",
            str(self.data_dir),
            "--project",
            self.settings.bq_project,
            "--rest-port",
            str(self.port),
            "--grpc-port",
            str(self.settings.bq_emulator_grpc_port),
            "--log-level",
            "warning",
            "--log-format",
            "console",
        ]
        # No time-travel snapshots: nothing here reads them, and each write would copy the table
        # (retention 0 drops them; the launcher skips taking them).
        env = {**os.environ, "HOME": str(self.home_dir), "BQEMU_TIME_TRAVEL_RETENTION_DAYS": "0"}
        with open(self.log_file, "ab") as out:
            proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))
        if not wait_until(lambda: self.healthy() or proc.poll() is not None, timeout):
            terminate(proc.pid)
            raise ServiceError(f"BigQuery emulator not healthy after {timeout:.0f}s; see {self.log_file}")
        if proc.poll() is not None:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-1:]
            raise ServiceError(f"BigQuery emulator exited at start ({' '.join(tail)}); see {self.log_file}")

    def stop(self) -> None:
        pid = read_pid(self.pid_file)
        if pid:
            terminate(pid)
        self.pid_file.unlink(missing_ok=True)
