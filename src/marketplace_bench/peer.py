"""The library peer of the loader: dlt's `sql_database` source into duckdb, in several configurations.

dlt is not a dependency of the platform. At bench time it is installed into its own virtualenv
under MELT_HOME (``bench/dlt-venv``, with uv when available, else venv + pip) and the peer runs
there as a subprocess (`dlt_pipeline.py`), so the platform's lock file never sees it. Each
configuration of :data:`CONFIGURATIONS` is one such run: dlt's defaults, and its fastest backends
(``pyarrow``; ``connectorx``, whose package is installed into the same venv when it first runs).
When an install or a run fails, or a run exceeds its time or memory budget, that configuration is
reported unavailable with the reason; no number is made up.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from marketplace_elt.settings import PROJECT_ROOT, Settings

log = logging.getLogger(__name__)

# SQLAlchemy 2.1 (dlt's default backend) connects to postgresql:// URLs with psycopg 3 by default;
# the parquet extra brings pyarrow, which the pyarrow and connectorx backends need.
DLT_REQUIREMENTS = ("dlt[duckdb,sql_database,parquet]==1.31.0", "psycopg[binary]>=3.2")
# Extra packages per configuration, installed into the dlt venv when that configuration runs.
EXTRA_REQUIREMENTS: dict[str, tuple[str, ...]] = {"connectorx": ("connectorx",)}
SCRIPT = Path(__file__).with_name("dlt_pipeline.py")

CONFIGURATIONS: dict[str, str] = {
    "defaults": "sql_database source, default backend (sqlalchemy) and chunk size -> duckdb destination",
    "pyarrow": 'sql_database source, backend="pyarrow" (Arrow tables, Parquet load files) -> duckdb destination',
    "connectorx": 'sql_database source, backend="connectorx" (ConnectorX reads into Arrow) -> duckdb destination',
}


@dataclass(frozen=True)
class PeerResult:
    available: bool
    rows: int = 0
    seconds: float = 0.0
    steps: dict[str, float] | None = None
    version: str = ""
    reason: str = ""
    configuration: str = "defaults"

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


class PeerAborted(Exception):
    """The peer was stopped: too slow for its time budget, or too big for its memory budget."""


def _uv() -> str | None:
    found = shutil.which("uv")
    if found:
        return found
    local = PROJECT_ROOT / ".venv-tools" / "bin" / "uv"
    return str(local) if local.exists() else None


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _pip_install(python: Path, packages: tuple[str, ...], timeout_s: float) -> None:
    uv = _uv()
    if uv:
        cmd = [uv, "pip", "install", "-q", "--python", str(python), *packages]
    else:
        cmd = [str(python), "-m", "pip", "install", "-q", *packages]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(cmd[:3])} ...` failed: {_last_line(done.stderr or done.stdout)}")


def ensure_venv(settings: Settings, timeout_s: float = 600) -> Path:
    """The dlt virtualenv's python, creating and filling the venv on first use."""
    venv = settings.home / "bench" / "dlt-venv"
    python = venv / "bin" / "python"
    marker = venv / ".requirements"
    wanted = "\n".join(DLT_REQUIREMENTS)
    if python.exists() and marker.exists() and marker.read_text() == wanted:
        return python
    venv.parent.mkdir(parents=True, exist_ok=True)
    uv = _uv()
    create = (
        [uv, "venv", "-q", "--allow-existing", "--python", sys.executable, str(venv)]
        if uv
        else [sys.executable, "-m", "venv", str(venv)]
    )
    done = subprocess.run(create, capture_output=True, text=True, timeout=timeout_s)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(create[:3])} ...` failed: {_last_line(done.stderr or done.stdout)}")
    _pip_install(python, DLT_REQUIREMENTS, timeout_s)
    marker.write_text(wanted)
    return python


def ensure_extra(python: Path, configuration: str, timeout_s: float = 600) -> None:
    """Install the extra packages of ``configuration`` into the dlt venv (once; nothing for most)."""
    packages = EXTRA_REQUIREMENTS.get(configuration, ())
    if not packages:
        return
    marker = python.parent.parent / f".requirements-{configuration}"
    wanted = "\n".join(packages)
    if marker.exists() and marker.read_text() == wanted:
        return
    _pip_install(python, packages, timeout_s)
    marker.write_text(wanted)


def memory_budget_kib() -> int:
    """At most 8 GiB or 40 % of the RAM for the peer: it shares the machine with the services."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 1024
    except (ValueError, OSError):
        total = 16 << 20
    return int(min(8 << 20, 0.4 * total))


def _run_guarded(cmd: list[str], env: dict[str, str], cwd: Path, timeout_s: float) -> tuple[int, str, str]:
    """Run the peer; kill it past the time or memory budget. dlt's defaults keep whole chunks and
    their normalized files in memory (~3.7 GiB for 100k orders here), so a million rows could
    exhaust the machine. Returns (exit code, stdout, stderr)."""
    from marketplace_bench.memory import PeakMemory

    budget = memory_budget_kib()
    out_path, err_path = cwd / "peer.out", cwd / "peer.err"
    with open(out_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=cwd, start_new_session=True)
        memory = PeakMemory({"peer": lambda: proc.pid if proc.poll() is None else None}, interval=1.0)
        started = time.monotonic()
        try:
            while proc.poll() is None:
                time.sleep(1.0)
                memory.sample()
                if memory.peak_kib["peer"] > budget:
                    raise PeerAborted(f"it used more than {budget / 1024 / 1024:.1f} GiB of memory")
                if time.monotonic() - started > timeout_s:
                    raise PeerAborted(f"it ran out of its {timeout_s:.0f}s time budget")
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    return proc.returncode, out_path.read_text(), err_path.read_text()


def run_peer(settings: Settings, table: str, configuration: str = "defaults", timeout_s: float = 1800) -> PeerResult:
    """Load ``table`` with dlt in ``configuration`` (a key of :data:`CONFIGURATIONS`).

    Returns PeerResult(available=False, reason=...) when dlt or the configuration's packages do not
    install, or the run fails or exceeds its budgets.
    """
    if configuration not in CONFIGURATIONS:
        raise ValueError(f"unknown dlt configuration {configuration!r}; choose from {', '.join(CONFIGURATIONS)}")

    def unavailable(reason: str) -> PeerResult:
        return PeerResult(available=False, reason=reason, configuration=configuration)

    try:
        python = ensure_venv(settings)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        return unavailable(f"could not install dlt into its own venv: {exc}")
    try:
        ensure_extra(python, configuration)
    except (RuntimeError, OSError, subprocess.TimeoutExpired) as exc:
        packages = " ".join(EXTRA_REQUIREMENTS.get(configuration, ()))
        return unavailable(f"`{packages}` does not install from PyPI into the dlt venv: {exc}")
    workdir = settings.home / "bench" / "dlt-work"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = {
        **os.environ,
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "DLT_DATA_DIR": str(workdir / "data"),
        "DLT_PROJECT_DIR": str(workdir),
    }
    cmd = [str(python), str(SCRIPT), settings.source_db_url, table, str(workdir), configuration]
    try:
        code, stdout, stderr = _run_guarded(cmd, env, workdir, timeout_s)
    except PeerAborted as exc:
        return unavailable(f"dlt did not finish loading {table}: {exc}")
    finally:
        shutil.rmtree(workdir / "pipelines", ignore_errors=True)
    if code != 0:
        return unavailable(f"dlt run failed: {_last_line(stderr or stdout)}")
    try:
        data = json.loads(stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return unavailable(f"dlt printed no result: {_last_line(stdout)}")
    shutil.rmtree(workdir, ignore_errors=True)
    return PeerResult(
        available=True,
        rows=int(data["rows"]),
        seconds=float(data["seconds"]),
        steps={str(k): float(v) for k, v in data.get("steps", {}).items()},
        version=str(data.get("dlt_version", "")),
        configuration=configuration,
    )
