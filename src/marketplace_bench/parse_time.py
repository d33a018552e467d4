"""DAG parse time: the import of `airflow/dags/marketplace_elt.py` alone, in fresh processes.

Each sample is a new interpreter with Airflow's environment that first imports what Airflow's DAG
processor has loaded when it parses a file, then times only the execution of the DAG file. On Linux
the processor forks every parse from its manager process (`airflow dag-processor`), so a parse
starts with the manager's modules loaded: the task SDK, Airflow's ORM models and the providers'
modules (Cosmos among them). The probe imports the manager and processor modules to get the same
state. Two other figures are kept for context: the import with only `airflow.sdk` loaded, and the
cold import in a bare interpreter (what a one-off `python dag.py` pays).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from dataclasses import dataclass

from marketplace_elt.settings import PROJECT_ROOT, Settings

DAG_FILE = PROJECT_ROOT / "airflow" / "dags" / "marketplace_elt.py"

_PROBE = """
import importlib, importlib.util, json, sys, time
for name in sys.argv[2:]:
    importlib.import_module(name)
t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location("marketplace_elt_dag_probe", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t2 = time.perf_counter()
print(json.dumps({"parse_s": t2 - t1, "tasks": len(module.dag.tasks)}))
"""

# What the DAG processor's parse process has imported before it opens a DAG file.
PROCESSOR_MODULES = ("airflow.dag_processing.manager", "airflow.dag_processing.processor")
SDK_MODULES = ("airflow.sdk",)


@dataclass(frozen=True)
class ParseTime:
    samples: list[float]  # with the DAG processor's modules loaded: the figure the target is about
    sdk_samples: list[float]  # with only `airflow.sdk` loaded
    cold_samples: list[float]  # bare interpreter: every import the DAG file triggers
    tasks: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples)

    @property
    def sdk_median_s(self) -> float:
        return statistics.median(self.sdk_samples)

    @property
    def cold_median_s(self) -> float:
        return statistics.median(self.cold_samples)


def _probe(env: dict[str, str], preload: tuple[str, ...]) -> tuple[float, int]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(DAG_FILE), *preload],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"importing {DAG_FILE.name} failed: {tail}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return float(data["parse_s"]), int(data["tasks"])


def measure_parse(settings: Settings, runs: int = 10) -> ParseTime:
    from marketplace_elt.orchestration.airflow_env import airflow_env

    env = {**os.environ, **airflow_env(settings)}
    samples: list[float] = []
    sdk: list[float] = []
    cold: list[float] = []
    tasks = 0
    for _ in range(max(1, runs)):
        parse_s, tasks = _probe(env, PROCESSOR_MODULES)
        samples.append(parse_s)
        sdk.append(_probe(env, SDK_MODULES)[0])
        cold.append(_probe(env, ())[0])
    return ParseTime(samples=samples, sdk_samples=sdk, cold_samples=cold, tasks=tasks)
