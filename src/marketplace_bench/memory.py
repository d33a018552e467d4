"""Peak memory of the services while something runs: PostgreSQL, the BigQuery emulator, Airflow/dbt.

A service is a process tree (PostgreSQL's postmaster and its backends, the emulator, the
`pipeline run` process with `airflow dags test` and dbt below it). A sampler thread adds up the
resident set (VmRSS) of each tree every half second and keeps the peak; at the end the largest
single-process high-water mark (VmHWM, the kernel's own peak) is read as well. Shared memory
(PostgreSQL's shared buffers) is counted once per process that touches it, so the sum is an upper
bound.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from marketplace_elt.settings import Settings


def _status_kib(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    stack = [pid]
    while stack:
        current = stack.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            try:
                kids = [int(x) for x in (task / "children").read_text().split()]
            except (OSError, ValueError):
                continue
            found.extend(kids)
            stack.extend(kids)
    return found


def tree(pid: int) -> list[int]:
    return [pid, *_children(pid)]


def postgres_pid(settings: Settings) -> int | None:
    """The postmaster of the embedded source cluster (first line of postmaster.pid)."""
    try:
        return int((settings.pg_dir / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def emulator_pid(settings: Settings) -> int | None:
    from marketplace_elt.services.process import read_pid

    return read_pid(settings.bq_dir / "emulator.pid")


class PeakMemory:
    """Samples named process trees in a background thread; use as a context manager."""

    def __init__(self, roots: dict[str, Callable[[], int | None]], interval: float = 0.5) -> None:
        self.roots = roots
        self.interval = interval
        self.peak_kib: dict[str, int] = dict.fromkeys(roots, 0)
        self.hwm_kib: dict[str, int] = dict.fromkeys(roots, 0)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-memory", daemon=True)

    def sample(self) -> None:
        for name, root in self.roots.items():
            pid = root()
            if pid is None:
                continue
            pids = tree(pid)
            total = sum(_status_kib(p, "VmRSS") for p in pids)
            self.peak_kib[name] = max(self.peak_kib[name], total)
            self.hwm_kib[name] = max([self.hwm_kib[name], *(_status_kib(p, "VmHWM") for p in pids)])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def report(self) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "peak_rss_mib": round(self.peak_kib[name] / 1024, 1),
                "max_process_hwm_mib": round(self.hwm_kib[name] / 1024, 1),
            }
            for name in self.roots
        }
