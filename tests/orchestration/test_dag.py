"""The DAG file imports cleanly and has the shape on-call relies on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace_elt.el.catalog import stream_names
from marketplace_elt.settings import Settings


@pytest.fixture(scope="module")
def dag(settings: Settings, airflow_environment: dict[str, str]):  # type: ignore[no-untyped-def]
    from marketplace_elt.orchestration.dag import build_dag

    return build_dag(settings)


def test_dag_file_imports_without_errors_in_a_fresh_process(
    project_root: Path, airflow_environment: dict[str, str]
) -> None:
    code = (
        "from airflow.dag_processing.dagbag import DagBag;"
        f"b = DagBag(dag_folder={str(project_root / 'airflow' / 'dags')!r});"
        "print(sorted(b.dag_ids)); print(b.import_errors)"
    )
    env = {**os.environ, **airflow_environment}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    lines = out.stdout.strip().splitlines()
    assert lines[-2:] == ["['marketplace_elt', 'marketplace_finance_export']", "{}"], out.stderr[-2000:]


def test_publish_announces_every_published_mart_as_an_asset(dag, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """Only publish_marts produces assets, one per published mart, named by its BigQuery URI."""
    from marketplace_elt.publish import published_models

    producers = {tid: t.outlets for tid, t in dag.task_dict.items() if t.outlets}
    assert list(producers) == ["publish_marts"]
    uris = {a.uri for a in producers["publish_marts"]}
    marts = published_models(settings)
    assert uris == {f"bigquery://{settings.bq_project}/{settings.marts_dataset}/{m}" for m in marts}


def test_the_finance_export_is_scheduled_on_the_published_reconciliation(settings: Settings) -> None:
    from marketplace_elt.orchestration.finance_export_dag import build_finance_export_dag

    consumer = build_finance_export_dag(settings)
    uri = f"bigquery://{settings.bq_project}/{settings.marts_dataset}/fct_payment_reconciliation"
    assert [a.uri for a in consumer.timetable.asset_condition.objects] == [uri]
    assert list(consumer.task_dict) == ["export_payment_reconciliation"]
    assert consumer.task_dict["export_payment_reconciliation"].on_failure_callback


def test_groups_and_gates_run_in_order(dag) -> None:  # type: ignore[no-untyped-def]
    tasks = dag.task_dict
    groups = {tid.split(".")[0] for tid in tasks if "." in tid}
    assert {"extract_load", "staging", "intermediate", "marts"} <= groups
    order = ["gate_raw", "gate_staging", "gate_intermediate", "prepare_marts", "gate_marts", "publish_marts"]
    for task_id in order:
        assert task_id in tasks
    # every task of a layer is downstream of the previous gate and upstream of the next one
    previous = "gate_raw"
    for layer, gate in (("staging", "gate_staging"), ("intermediate", "gate_intermediate"), ("marts", "gate_marts")):
        layer_tasks = [t for tid, t in tasks.items() if tid.startswith(f"{layer}.")]
        assert layer_tasks, layer
        for task in layer_tasks:
            assert previous in task.get_flat_relative_ids(upstream=True), (task.task_id, previous)
            assert gate in task.get_flat_relative_ids(upstream=False), (task.task_id, gate)
        previous = gate
    el_tasks = [t for tid, t in tasks.items() if tid.startswith("extract_load.")]
    assert sorted(t.task_id.removeprefix("extract_load.sync_") for t in el_tasks) == sorted(stream_names())
    assert all("gate_raw" in t.downstream_task_ids for t in el_tasks)
    assert tasks["publish_marts"].upstream_task_ids == {"gate_marts"}
    # write-audit-publish: the audit dataset is reset after the intermediate gate, before any mart builds
    assert tasks["prepare_marts"].upstream_task_ids == {"gate_intermediate"}
    marts_tasks = [t for tid, t in tasks.items() if tid.startswith("marts.")]
    assert all("prepare_marts" in t.get_flat_relative_ids(upstream=True) for t in marts_tasks)


def test_every_dbt_model_has_a_task(dag, dbt_manifest: Path) -> None:  # type: ignore[no-untyped-def]
    import json

    manifest = json.loads(dbt_manifest.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    rendered = {tid.split(".")[1] for tid in dag.task_dict if tid.split(".")[0] in ("staging", "intermediate", "marts")}
    missing = {m for m in models if not any(r == m or r.startswith(f"{m}_") for r in rendered)}
    assert missing <= {"audit_run_ledger"}, missing  # the ledger is written by publish_marts


def test_production_behaviour_settings(dag, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    assert dag.max_active_runs == 1
    assert dag.catchup is False
    # Cosmos gives each dbt task its model's meta owner, so the UI shows who owns each mart
    assert dag.default_args["owner"] == "data-platform"
    assert dag.task_dict["marts.fct_payment_reconciliation_model_build"].owner == "finance-analytics"
    assert dag.task_dict["gate_marts"].owner == "data-platform"
    assert "docs/runbook.md" in dag.doc_md
    assert dag.deadline is not None
    for task_id, task in dag.task_dict.items():
        if task_id.startswith("gate_"):
            assert task.retries == 0, task_id
        else:
            assert task.retries >= 1, task_id
            assert task.retry_exponential_backoff, task_id
        assert task.execution_timeout is not None, task_id
        assert task.on_failure_callback, task_id


def test_watcher_mode_renders_one_producer_per_group_and_a_sensor_per_model(
    settings: Settings, airflow_environment: dict[str, str], dbt_manifest: Path
) -> None:
    import dataclasses
    import json

    from marketplace_elt.orchestration.dag import build_dag

    dag = build_dag(dataclasses.replace(settings, cosmos_execution_mode="watcher"))
    for layer in ("staging", "intermediate", "marts"):
        producer = dag.task_dict[f"{layer}.dbt_producer_watcher"]
        assert producer.base_cmd == ["build"], layer
    manifest = json.loads(dbt_manifest.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    rendered = {tid.split(".")[1] for tid in dag.task_dict if tid.split(".")[0] in ("staging", "intermediate", "marts")}
    missing = {m for m in models if not any(r == m or r.startswith(f"{m}_") for r in rendered)}
    assert missing <= {"audit_run_ledger"}, missing
    sensors = [t for tid, t in dag.task_dict.items() if tid.startswith("marts.") and "producer" not in tid]
    assert sensors
    assert {getattr(t, "producer_task_id", None) for t in sensors} == {"marts.dbt_producer_watcher"}


def test_one_shot_runs_refuse_watcher_mode_in_one_line() -> None:
    env = {**os.environ, "COSMOS_EXECUTION_MODE": "watcher"}
    out = subprocess.run(
        [sys.executable, "-m", "marketplace_elt.cli", "pipeline", "run"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert out.returncode != 0
    err = out.stderr.strip()
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert "COSMOS_EXECUTION_MODE=watcher" in err and "make airflow" in err


def test_tests_reading_a_mart_run_only_after_the_marts(dag, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """A singular test in dbt/tests/marts reads a mart: it runs in the marts group, never before it."""
    from marketplace_elt.orchestration.dag import tests_reading_marts

    tests = tests_reading_marts(settings)
    # these two read a staging model and a mart: Cosmos gives each its own task
    multi_parent = {"assert_payment_dedup_drops_nothing_silently", "assert_audit_daily_counts_every_staged_row"}
    assert multi_parent <= set(tests)
    for test in tests:
        placed = [tid for tid in dag.task_dict if tid.split(".")[-1] == f"{test}_test"]
        # a test of a single mart runs inside that mart's own test task instead (no task of its own)
        if test not in multi_parent and not placed:
            continue
        assert placed == [f"marts.{test}_test"], placed
        assert "prepare_marts" in dag.task_dict[placed[0]].get_flat_relative_ids(upstream=True)
