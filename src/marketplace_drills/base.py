"""What a drill is and what it reports."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from marketplace_bench.workspace import Workspace
from marketplace_elt.settings import Settings

log = logging.getLogger("marketplace_drills")


@dataclass(frozen=True)
class DrillOptions:
    scale: float = 0.1
    seed: int = 7
    trials: int = 10  # loader kill drill
    retry_delay_s: float = 15.0  # DAG runs of the drills: a short fixed retry delay
    retries: int | None = None  # DAG runs of the drills: None keeps each task's own retry count
    keep: bool = False
    random_seed: int | None = None


@dataclass
class DrillResult:
    name: str
    passed: bool
    summary: str
    evidence: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def render(self) -> str:
        head = f"{'PASS' if self.passed else 'FAIL'} {self.name}: {self.summary} ({self.seconds:.0f}s)"
        return "\n".join([head, *(f"    {line}" for line in self.evidence)])


@dataclass
class DrillContext:
    """A drill's workspace, settings (workspace applied), options and a place for its logs."""

    name: str
    base: Settings
    workspace: Workspace
    settings: Settings
    options: DrillOptions
    logs: Path
    evidence: list[str] = field(default_factory=list)

    def note(self, line: str) -> None:
        """Record one line of evidence (and show it while the drill runs)."""
        self.evidence.append(line)
        print(f"  [{self.name}] {line}", flush=True)

    def cli(
        self, *args: str, env: dict[str, str] | None = None, timeout: float = 900
    ) -> subprocess.CompletedProcess[str]:
        """`marketplace-elt ARGS` in a child process with the workspace's environment (plus ``env``)."""
        return subprocess.run(
            [sys.executable, "-m", "marketplace_elt.cli", *args],
            env={**os.environ, **self.workspace.env(), **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )


DrillFunction = Callable[[DrillContext], tuple[bool, str]]


@dataclass(frozen=True)
class Drill:
    name: str
    what: str
    run: DrillFunction


def timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started
