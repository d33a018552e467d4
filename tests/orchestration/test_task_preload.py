"""The scheduler's forkserver preload: what every task process of the DAG starts with."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from marketplace_elt.orchestration.airflow_env import airflow_env
from marketplace_elt.settings import Settings

PROBE = """
import json, sys, threading
import marketplace_elt.orchestration.task_preload as preload
from airflow.sdk.plugins_manager import _get_plugins
print(json.dumps({
    "skipped": preload.SKIPPED,
    "missing": [m for m in preload.MODULES if m not in sys.modules],
    "threads": threading.active_count(),
    "plugins": sorted(p.name for p in _get_plugins()[0]),
}))
"""


def test_airflow_forks_tasks_from_the_preloaded_forkserver(settings: Settings) -> None:
    env = airflow_env(settings)
    assert env["AIRFLOW__SCHEDULER__MP_START_METHOD"] == "forkserver"
    assert env["AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD"] == "marketplace_elt.orchestration.task_preload"


def test_preload_warms_everything_and_leaves_a_single_thread(
    settings: Settings, airflow_environment: dict[str, str]
) -> None:
    """Imported as the forkserver imports it: nothing skipped (the dbt warm-up parse included), every
    module loaded, our data-docs plugin loaded, and no thread left running to be forked."""
    env = {**os.environ, **airflow_environment}
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["skipped"] == [], out.stderr[-2000:]
    assert report["missing"] == []
    assert report["threads"] == 1
    assert "gx_data_docs" in report["plugins"]
