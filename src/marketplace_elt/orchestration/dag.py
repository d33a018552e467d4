"""The `marketplace_elt` DAG: extract-load, then dbt layer by layer with a quality gate after each.

    extract_load -> gate_raw -> staging -> gate_staging -> intermediate -> gate_intermediate
                 -> prepare_marts -> marts -> gate_marts -> publish_marts

The marts are written, audited, then published: the `marts` group builds them into
`<marts>__audit`, `gate_marts` checks them there, and only `publish_marts` changes what readers see.

dbt layers are Cosmos task groups rendered from the manifest built at install time
(`marketplace-elt dbt parse`), so parsing this DAG never runs dbt. Gates run without retries: a
breach is a data problem, and retrying it only delays the page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import Settings, get_settings
from marketplace_elt.transform.dbt import DBT_PROFILE, dbt_env, manifest_path, run_context_env

if TYPE_CHECKING:
    from airflow.sdk import DAG

DAG_ID = "marketplace_elt"

DOC_MD = """
### marketplace_elt — marketplace PostgreSQL → BigQuery → dbt marts

| group / task | what it does | when it fails |
|---|---|---|
| `extract_load` | one task per table (embedded loader) or Airbyte trigger + sensor | source/BigQuery down |
| `gate_raw` | dbt source freshness + Great Expectations raw suite (schema, row counts) | stale or malformed raw data |
| `staging` | dbt staging views (rename, cast, clean, dedup) with their tests | a model or test failed |
| `gate_staging` | row counts reconciled with the source (keys, values: dbt tests) | rows lost or invented |
| `intermediate` | FX to USD, enriched orders, seller tier SCD2, users snapshot | |
| `gate_intermediate` | FX coverage (SCD2 sanity: dbt tests in `intermediate`) | unknown currencies above threshold |
| `prepare_marts` | `<marts>__audit` := the published marts; leftovers of failed builds dropped | BigQuery down |
| `marts` | finance, core, marketing, audit marts built into `<marts>__audit`, with their tests | a model/test |
| `gate_marts` | on the build: invalid payments of the latest load, audit marts non-empty | bad numbers |
| `publish_marts` | ledger row; marts copied from the build into `<marts>` (previous kept); assets | BigQuery down |

Write-audit-publish: readers only ever see marts that passed their tests and `gate_marts`. A failed
gate or test leaves `<marts>` exactly as the last good run published it; `marketplace-elt marts
rollback` restores the version before the last publish.
**On-call:** follow `docs/runbook.md` (one section per alert). Data docs: [/gx-docs/](/gx-docs/).
Rerunning a run (clear + run) is safe: every task is idempotent for its data interval.
"""

# dbt selections per layer (Cosmos RenderConfig.select); seeds feed staging, the users snapshot
# belongs with the intermediate models, and the ledger is written by publish_marts.
LAYERS: dict[str, dict[str, list[str]]] = {
    "staging": {"select": ["path:seeds", "path:models/staging"], "exclude": []},
    "intermediate": {"select": ["path:snapshots", "path:models/intermediate"], "exclude": []},
    "marts": {"select": ["path:models/marts"], "exclude": ["audit_run_ledger"]},
}


def tests_reading_marts(settings: Settings) -> list[str]:
    """The singular tests that read a mart: dbt/tests/marts (the folder is the declaration)."""
    return sorted(p.stem for p in (settings.dbt_dir / "tests" / "marts").glob("*.sql"))


def _drop_from_group(dag: Any, layer: str, tests: list[str]) -> None:
    """Remove the tasks of ``tests`` from a layer's group: they run with the marts.

    Cosmos renders a test with several parents in every group that holds one of them (select and
    exclude do not apply to tests added for a selected parent), so a test reading a staging model
    and a mart would also run in the staging group, before its mart is built.
    """
    for test in tests:
        task_id = f"{layer}.{test}_test"
        task = dag.task_dict.get(task_id)
        if task is None:
            continue
        for upstream in list(task.upstream_task_ids):
            dag.task_dict[upstream].downstream_task_ids.discard(task_id)
        for downstream in list(task.downstream_task_ids):
            dag.task_dict[downstream].upstream_task_ids.discard(task_id)
        dag._remove_task(task_id)


# A run triggered without a logical date (the REST API's default, `"logical_date": null`) has no
# data interval: the templates then render empty, and dbt falls back to its high-water marks (the
# ledger records a NULL interval), instead of every task failing on an undefined variable.
INTERVAL_START = "{{ data_interval_start | default('', true) }}"
INTERVAL_END = "{{ data_interval_end | default('', true) }}"

# The run's context reaches dbt as environment variables read by its `run_var` macro, not as
# `--vars`: the run id and interval change every run, and changed vars make every dbt task re-parse
# the whole project instead of reusing partial_parse.msgpack.
DBT_RUN_CONTEXT = run_context_env("{{ run_id }}", INTERVAL_START, INTERVAL_END)


def require_one_shot_mode(settings: Settings) -> None:
    """Refuse a one-shot `airflow dags test` run (`pipeline run`) in Cosmos watcher mode.

    `dags test` runs one task at a time; a watcher sensor that starts before its group's producer
    waits for it forever. Watcher mode needs the scheduler (`make airflow`).
    """
    if settings.cosmos_execution_mode == "watcher":
        raise ConfigError(
            "COSMOS_EXECUTION_MODE=watcher needs Airflow's scheduler (`make airflow`, then trigger the DAG); "
            "`airflow dags test` runs tasks one by one and would wait forever: unset it for this command"
        )


def _default_args() -> dict[str, Any]:
    from marketplace_elt.orchestration.alerts import notify_failure

    return {
        "owner": "data-platform",
        "retries": 2,
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(minutes=60),
        "on_failure_callback": notify_failure,
    }


def _stream_names(settings: Settings) -> list[str]:
    from marketplace_elt.el.catalog import load_catalog

    return [stream.name for stream in load_catalog().streams]


def _extract_load_group(settings: Settings) -> Any:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import TaskGroup

    from marketplace_elt.orchestration import tasks

    with TaskGroup("extract_load", tooltip="source tables -> BigQuery dataset raw") as group:
        if settings.el_backend == "airbyte":
            from marketplace_elt.orchestration.airbyte_tasks import airbyte_extract_load_tasks

            airbyte_extract_load_tasks(settings)
        else:
            for stream in _stream_names(settings):
                PythonOperator(
                    task_id=f"sync_{stream}",
                    python_callable=tasks.extract_load_stream,
                    op_kwargs={"stream": stream},
                    pool_slots=1,
                )
    return group


def _dbt_group(settings: Settings, layer: str) -> Any:
    from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
    from cosmos.constants import ExecutionMode, InvocationMode, LoadMode, TestBehavior

    manifest = manifest_path(settings)
    if not manifest.exists():
        raise ConfigError(f"dbt manifest missing at {manifest}; run `marketplace-elt dbt parse` (make install does)")
    # Settings accept only these two (COSMOS_EXECUTION_MODE).
    mode = ExecutionMode.WATCHER if settings.cosmos_execution_mode == "watcher" else ExecutionMode.LOCAL
    # Each Cosmos task runs dbt in its own temporary copy of the project, so it keeps dbt's target
    # and log paths there: tasks running side by side must not rewrite each other's artifacts.
    env = {k: v for k, v in dbt_env(settings).items() if k not in ("DBT_TARGET_PATH", "DBT_LOG_PATH")}
    env.update(DBT_RUN_CONTEXT)  # templated: Cosmos passes env_vars as the operator's `env` field
    project = ProjectConfig(
        dbt_project_path=settings.dbt_dir, manifest_path=manifest, env_vars=env, install_dbt_deps=False
    )
    # Cosmos wraps every manifest path in an ObjectStoragePath, whose first open loads Airflow's
    # plugin manager (~0.4 s of each DAG parse). The manifest is always a local file: read it as one.
    project.manifest_path = manifest
    return DbtTaskGroup(
        group_id=layer,
        project_config=project,
        profile_config=ProfileConfig(
            profile_name=DBT_PROFILE,
            target_name=env["DBT_TARGET"],
            profiles_yml_filepath=settings.dbt_dir / "profiles.yml",
        ),
        execution_config=ExecutionConfig(execution_mode=mode, invocation_mode=InvocationMode.DBT_RUNNER),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST,
            select=LAYERS[layer]["select"],
            exclude=LAYERS[layer]["exclude"],
            # Watcher mode runs one `dbt build` per group (tests included) and watches each node, so
            # its tests show as per-model test sensors; BUILD would ask it for per-node build tasks.
            test_behavior=TestBehavior.AFTER_EACH if mode == ExecutionMode.WATCHER else TestBehavior.BUILD,
            should_detach_multiple_parents_tests=True,
            emit_datasets=False,
        ),
        # No run_results.json / manifest.json per task (~1.5 s of CPU each time): Cosmos reads the
        # outcome from dbtRunner's result, and keeps its copy of our manifest in the task's target.
        operator_args={"append_env": True, "dbt_cmd_flags": ["--no-write-json"]},
    )


def _deadline(settings: Settings) -> Any:
    """Alert when a run is still going after PIPELINE_DEADLINE_MINUTES (0 disables it).

    `pipeline run` sets 0: its one-shot `airflow dags test` has no triggerer to fire the alert, and
    Airflow 3.3's dags-test path fails at run end on DAGs that declare one.
    """
    if settings.run_deadline_minutes <= 0:
        return None
    from airflow.sdk.definitions.callback import AsyncCallback
    from airflow.sdk.definitions.deadline import DeadlineAlert, DeadlineReference

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=timedelta(minutes=settings.run_deadline_minutes),
        callback=AsyncCallback(
            "marketplace_elt.orchestration.alerts.deadline_missed",
            kwargs={"minutes": settings.run_deadline_minutes},
        ),
    )


def build_dag(settings: Settings | None = None) -> DAG:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from marketplace_elt.orchestration import tasks
    from marketplace_elt.orchestration.assets import published_mart_assets

    settings = settings or get_settings()
    with DAG(
        dag_id=DAG_ID,
        description="Marketplace PostgreSQL -> BigQuery raw -> dbt staging/intermediate/marts, gated by GX",
        doc_md=DOC_MD,
        schedule=settings.schedule,
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args=_default_args(),
        tags=["elt", "marketplace", "dbt", "quality"],
        deadline=_deadline(settings),
    ) as dag:
        extract_load = _extract_load_group(settings)
        gate_raw = PythonOperator(
            task_id="gate_raw", python_callable=tasks.gate_raw, op_kwargs={"run_id": "{{ run_id }}"}, retries=0
        )
        chain: list[Any] = [extract_load, gate_raw]
        for layer in ("staging", "intermediate", "marts"):
            group = _dbt_group(settings, layer)
            if layer != "marts":
                _drop_from_group(dag, layer, tests_reading_marts(settings))
            layer_gate = PythonOperator(
                task_id=f"gate_{layer}",
                python_callable=tasks.gate,
                op_kwargs={"layer": layer, "run_id": "{{ run_id }}"},
                retries=0,
            )
            if layer == "marts":
                chain.append(
                    PythonOperator(
                        task_id="prepare_marts",
                        python_callable=tasks.prepare_marts,
                        op_kwargs={"run_id": "{{ run_id }}"},
                    )
                )
            chain += [group, layer_gate]
        publish = PythonOperator(
            task_id="publish_marts",
            python_callable=tasks.publish_marts,
            # Its assets fire only when the publish succeeds: downstream DAGs see audited marts only.
            outlets=published_mart_assets(settings),
            op_kwargs={
                "run_id": "{{ run_id }}",
                "data_interval_start": INTERVAL_START,
                "data_interval_end": INTERVAL_END,
            },
        )
        chain.append(publish)
        for upstream, downstream in pairwise(chain):
            upstream >> downstream
    return dag
