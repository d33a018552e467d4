"""DAG parse time: the import of `airflow/dags/marketplace_elt.py` alone, in fresh processes.

Each sample is a new interpreter with Airflow's environment. Airflow's task SDK is imported first
(the DAG processor has it loaded before it opens a DAG file), then only the execution of the DAG
file is timed; interpreter start-up is excluded. The median of the samples is reported, and the
cold figure (including `import airflow.sdk`) alongside for context.
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
import importlib.util, json, sys, time
t0 = time.perf_counter()
import airflow.sdk  # loaded by the DAG processor before it parses a file
t1 = time.perf_counter()
spec = importlib.util.spec_from_file_location("marketplace_elt_dag_probe", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
t2 = time.perf_counter()
print(json.dumps({"parse_s": t2 - t1, "sdk_import_s": t1 - t0, "tasks": len(module.dag.tasks)}))
"""


@dataclass(frozen=True)
class ParseTime:
    samples: list[float]
    cold_samples: list[float]
    tasks: int

    @property
    def median_s(self) -> float:
        return statistics.median(self.samples)

    @property
    def cold_median_s(self) -> float:
        return statistics.median(self.cold_samples)


def measure_parse(settings: Settings, runs: int = 10) -> ParseTime:
    from marketplace_elt.orchestration.airflow_env import airflow_env

    env = {**os.environ, **airflow_env(settings)}
    samples: list[float] = []
    cold: list[float] = []
    tasks = 0
    for _ in range(max(1, runs)):
        done = subprocess.run(
            [sys.executable, "-c", _PROBE, str(DAG_FILE)], env=env, capture_output=True, text=True, timeout=300
        )
        if done.returncode != 0:
            tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise RuntimeError(f"importing {DAG_FILE.name} failed: {tail}")
        data = json.loads(done.stdout.strip().splitlines()[-1])
        samples.append(float(data["parse_s"]))
        cold.append(float(data["parse_s"]) + float(data["sdk_import_s"]))
        tasks = int(data["tasks"])
    return ParseTime(samples=samples, cold_samples=cold, tasks=tasks)
