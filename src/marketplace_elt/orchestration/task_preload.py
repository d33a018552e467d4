"""Imported once by the Airflow scheduler's forkserver; every task process of the DAG forks from it.

An Airflow 3 task runs in a new process forked from a LocalExecutor worker, and the workers fork
from the forkserver (`[scheduler] mp_start_method = forkserver`, with this module as
`mp_forkserver_preload`; see airflow_env). Without it, every dbt task spent seconds of CPU on work
that is the same in each task: importing the task runner, the DAG-bag code, Cosmos, dbt with its
build command and BigQuery adapter, the OpenLineage dbt processor Cosmos probes for, and Great
Expectations for the gates; loading the Airflow plugins (ours serves the data docs with FastAPI);
and filling `inspect`'s module-by-file table, which dbt walks for every adapter behaviour flag.
Done here, before the fork, each task starts with all of it in memory; `gc.freeze()` then keeps
the tasks' garbage collections off this inherited heap.

Nothing here may stop the scheduler: a warm-up that fails is logged and skipped, and the task then
does that work itself, as it would without this module.
"""

from __future__ import annotations

import gc
import importlib
import inspect
import logging
import os
import shutil
import tempfile
import threading

log = logging.getLogger(__name__)

MODULES = (
    "airflow.sdk.execution_time.supervisor",
    "airflow.sdk.execution_time.task_runner",
    "airflow.dag_processing.dagbag",
    "airflow.providers.standard.operators.python",
    "marketplace_elt.orchestration.dag",
    "marketplace_elt.orchestration.tasks",
    "cosmos.operators.local",
    "dbt.cli.main",
    "dbt.task.build",
    "dbt.adapters.bigquery",
    "openlineage.common.provider.dbt.local",
    "great_expectations",
)


def _load_plugins() -> None:
    from airflow.sdk.plugins_manager import _get_plugins  # cached per process; tasks load it at start

    _get_plugins()


def _parse_dbt_project() -> None:
    """One `dbt parse` from the seeded partial parse, so dbt's lazily generated (de)serialisers and
    JSON schemas exist before the fork; the task's own dbt invocation then only reads and runs."""
    from dbt.cli.main import dbtRunner
    from dbt_common.events.event_manager_client import cleanup_event_logger

    from marketplace_elt.settings import get_settings
    from marketplace_elt.transform.dbt import dbt_env, parse_args, partial_parse_seed

    settings = get_settings()
    threads_before = threading.active_count()
    saved = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="melt-preload-") as tmp:
        seed = partial_parse_seed(settings)
        if seed.exists():
            shutil.copyfile(seed, os.path.join(tmp, seed.name))
        os.environ.update({**dbt_env(settings), "DBT_TARGET_PATH": tmp, "DBT_LOG_PATH": tmp})
        try:
            args = [*parse_args(settings), "--project-dir", str(settings.dbt_dir), "--no-static-parser"]
            result = dbtRunner().invoke(args)
        finally:
            cleanup_event_logger()  # detach dbt's loggers; each task's dbt sets up its own
            os.environ.clear()
            os.environ.update(saved)
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    if threading.active_count() != threads_before:
        raise RuntimeError("dbt left threads running")  # forking them would be unsafe


def warm() -> list[str]:
    """Import MODULES and fill the per-process caches; returns what could not be warmed."""
    skipped: list[str] = []
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # an optional module (OpenLineage) may be absent or broken
            log.warning("task preload: cannot import %s (%s); tasks will import it themselves", name, exc)
            skipped.append(name)
    try:
        _load_plugins()
    except Exception as exc:
        log.warning("task preload: plugins not loaded (%s); tasks will load them themselves", exc)
        skipped.append("plugins")
    try:
        _parse_dbt_project()
    except Exception as exc:
        log.warning("task preload: dbt warm-up parse skipped (%s)", exc)
        skipped.append("dbt parse")
    inspect.getmodule(inspect.currentframe())  # builds inspect's file -> module table once
    # Everything loaded so far lives as long as the forkserver: move it out of the garbage
    # collector's reach, so that a collection in a task does not walk (and, by writing to each
    # object's header, copy page by page) the whole inherited heap. Measured: dbt reading its
    # partial parse took 6x longer in a forked task without this.
    gc.freeze()
    return skipped


SKIPPED = warm()
