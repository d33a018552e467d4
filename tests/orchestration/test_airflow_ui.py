"""Real Airflow (api-server, scheduler, dag-processor, triggerer): scheduled run, backfill over REST, the UI."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from marketplace_elt.bigquery import query_rows
from marketplace_elt.orchestration import local_airflow
from marketplace_elt.orchestration.dag import DAG_ID
from marketplace_elt.orchestration.finance_export_dag import DAG_ID as EXPORT_DAG_ID
from marketplace_elt.orchestration.lineage import events_file
from marketplace_elt.publish import published_models
from marketplace_elt.settings import Settings
from tests.marts_fingerprint import marts_fingerprint
from tests.orchestration.asset_events import asset_uris_emitted_by


@pytest.fixture(scope="module")
def airflow_api(pipeline_run, settings: Settings) -> Iterator[local_airflow.AirflowApi]:  # type: ignore[no-untyped-def]
    local_airflow.migrate(settings)
    local_airflow.start(settings)
    api = local_airflow.AirflowApi(settings)
    try:
        api.wait_for_dag(DAG_ID)
        yield api
    finally:
        local_airflow.stop(settings)


@pytest.fixture(scope="module")
def marts_before_scheduling(airflow_api: local_airflow.AirflowApi, settings: Settings) -> dict[str, tuple[object, ...]]:
    """The marts after `pipeline run`, then the DAG unpaused: the scheduler starts the latest interval."""
    before = marts_fingerprint(settings)
    airflow_api.unpause(DAG_ID)
    return before


def _wait_for_runs(
    api: local_airflow.AirflowApi, run_type: str, count: int, timeout: float = 2400, dag_id: str = DAG_ID
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        runs = [r for r in api.runs(dag_id) if r["run_type"] == run_type]
        if len(runs) >= count and all(r["state"] in ("success", "failed") for r in runs):
            return runs
        time.sleep(10)
    pytest.fail(f"{run_type} runs not finished after {timeout:.0f}s: {[(r['dag_run_id'], r['state']) for r in runs]}")


def test_anonymous_requests_are_refused(airflow_api: local_airflow.AirflowApi) -> None:
    import urllib.error
    import urllib.request

    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(f"{airflow_api.base}/api/v2/dags", timeout=10)
    assert err.value.code in (401, 403)


def test_scheduled_run_succeeds_and_changes_no_mart(
    airflow_api: local_airflow.AirflowApi, marts_before_scheduling: dict[str, tuple[object, ...]], settings: Settings
) -> None:
    """The scheduler's own run, with no new source data, is a no-op on the marts: same rows, same money.

    (Load times may move: rows whose cursor equals the saved one are re-read, as Airbyte does.)
    """
    (run,) = _wait_for_runs(airflow_api, "scheduled", 1)
    states = airflow_api.task_states(DAG_ID, run["dag_run_id"])
    assert run["state"] == "success", {t: s for t, s in states.items() if s != "success"}
    assert states["publish_marts"] == "success"
    after = marts_fingerprint(settings)
    assert {t: v[:2] for t, v in after.items()} == {t: v[:2] for t, v in marts_before_scheduling.items()}


def test_a_successful_publish_starts_the_asset_scheduled_export(
    airflow_api: local_airflow.AirflowApi, marts_before_scheduling: dict[str, tuple[object, ...]], settings: Settings
) -> None:
    """The scheduled run's publish emits the reconciliation asset; the scheduler then starts the
    finance export, whose file holds exactly the published mart's rows."""
    (run,) = _wait_for_runs(airflow_api, "scheduled", 1)
    assert run["state"] == "success"
    exports = _wait_for_runs(airflow_api, "asset_triggered", 1, timeout=600, dag_id=EXPORT_DAG_ID)
    assert [r["state"] for r in exports] == ["success"] * len(exports), exports
    uri = f"bigquery://{settings.bq_project}/{settings.marts_dataset}/fct_payment_reconciliation"
    assert uri in asset_uris_emitted_by(settings, str(run["dag_run_id"]))
    table = f"`{settings.bq_project}.{settings.marts_dataset}.fct_payment_reconciliation`"
    (count,) = query_rows(settings, f"SELECT COUNT(*) AS n FROM {table}")
    files = sorted((settings.home / "exports" / "fct_payment_reconciliation").glob("*.csv"))
    assert files, "the export wrote no file"
    with files[-1].open() as f:
        assert sum(1 for _ in f) - 1 == count["n"] > 0


def test_runs_are_recorded_as_openlineage_events(
    airflow_api: local_airflow.AirflowApi, marts_before_scheduling: dict[str, tuple[object, ...]], settings: Settings
) -> None:
    """The file transport holds a START and a COMPLETE per task: publish_marts with every published
    mart as an output dataset, the export with the reconciliation mart as its input."""
    _wait_for_runs(airflow_api, "scheduled", 1)
    _wait_for_runs(airflow_api, "asset_triggered", 1, timeout=600, dag_id=EXPORT_DAG_ID)
    events = [json.loads(line) for line in events_file(settings).read_text().splitlines() if line.strip()]
    completed = [e for e in events if e["eventType"] == "COMPLETE"]
    jobs = {e["job"]["name"] for e in completed}
    assert {f"{DAG_ID}.gate_marts", f"{DAG_ID}.marts.fct_orders_model_build", DAG_ID} <= jobs, sorted(jobs)[:20]
    assert all(e["job"]["namespace"] == "marketplace_elt" for e in completed)
    started = {e["job"]["name"] for e in events if e["eventType"] == "START"}
    assert f"{DAG_ID}.publish_marts" in started
    recon_name = f"{settings.bq_project}.{settings.marts_dataset}.fct_payment_reconciliation"
    recon = {"namespace": "bigquery", "name": recon_name}
    publish = [e for e in completed if e["job"]["name"] == f"{DAG_ID}.publish_marts"]
    assert publish, "publish_marts sent no COMPLETE event"
    outputs = [{"namespace": d["namespace"], "name": d["name"]} for d in publish[-1]["outputs"]]
    assert recon in outputs and len(outputs) == len(published_models(settings))
    export = [e for e in completed if e["job"]["name"] == f"{EXPORT_DAG_ID}.export_payment_reconciliation"]
    assert export and [{"namespace": d["namespace"], "name": d["name"]} for d in export[-1]["inputs"]] == [recon]


def test_backfill_over_rest_matches_the_scheduled_marts(
    airflow_api: local_airflow.AirflowApi, marts_before_scheduling: dict[str, tuple[object, ...]], settings: Settings
) -> None:
    """A backfill of two past days, created over the REST API and run one at a time by the scheduler.

    Each run gets its own data interval (recorded in the run ledger), and since the source did not
    change, the marts equal those of the scheduled run.
    """
    _wait_for_runs(airflow_api, "scheduled", 1)
    today = datetime.now(UTC).date()
    days = [today - timedelta(days=3), today - timedelta(days=2)]
    airflow_api.backfill(DAG_ID, f"{days[0]}T00:00:00Z", f"{days[1]}T00:00:00Z")
    runs = _wait_for_runs(airflow_api, "backfill", 2)
    assert [r["state"] for r in runs] == ["success", "success"], runs
    assert sorted(date.fromisoformat(str(r["data_interval_start"])[:10]) for r in runs) == days
    ledger = query_rows(
        settings,
        f"SELECT run_id, DATE(data_interval_start) AS day "
        f"FROM `{settings.bq_project}.{settings.marts_dataset}.audit_run_ledger`",
    )
    run_days = {str(r["dag_run_id"]): date.fromisoformat(str(r["data_interval_start"])[:10]) for r in runs}
    assert {r["run_id"]: r["day"] for r in ledger if r["run_id"] in run_days} == run_days
    after = marts_fingerprint(settings)
    assert {t: v[:2] for t, v in after.items()} == {t: v[:2] for t, v in marts_before_scheduling.items()}
    # The run context reaches dbt outside `--vars` (the run_var macro): once the scheduled run has
    # left this environment's partial parse in Cosmos' cache, no dbt task re-parses the project.
    for run in runs:
        dbt_logs, reparsed = _dbt_task_logs_that_reparsed(settings, str(run["dag_run_id"]))
        assert len(dbt_logs) >= 40 and reparsed == [], (run["dag_run_id"], reparsed)


def _dbt_task_logs_that_reparsed(settings: Settings, run_id: str) -> tuple[list[Path], list[str]]:
    """A run's dbt task logs, and the tasks among them in which dbt re-parsed the whole project."""
    run_logs = settings.logs_dir / "airflow" / f"dag_id={DAG_ID}" / f"run_id={run_id}"
    dbt_logs = [
        log
        for log in run_logs.glob("task_id=*/attempt=*.log")
        if log.parent.name.removeprefix("task_id=").split(".")[0] in ("staging", "intermediate", "marts")
        and "Running with dbt=" in log.read_text()
    ]
    return dbt_logs, [log.parent.name for log in dbt_logs if "Unable to do partial parsing" in log.read_text()]


def test_rest_trigger_without_logical_date_runs_to_success(
    airflow_api: local_airflow.AirflowApi, marts_before_scheduling: dict[str, tuple[object, ...]], settings: Settings
) -> None:
    """`POST /api/v2/dags/{id}/dagRuns` with `"logical_date": null` (what `marketplace-elt airflow
    trigger` sends): the run has no data interval, still succeeds, leaves the marts as they were and
    writes its ledger row with a NULL interval."""
    _wait_for_runs(airflow_api, "backfill", 2)  # max_active_runs=1: after the backfill above
    run_id = airflow_api.trigger(DAG_ID)
    state = airflow_api.wait_for_run(DAG_ID, run_id, timeout=2400)
    states = airflow_api.task_states(DAG_ID, run_id)
    assert state == "success", {t: s for t, s in states.items() if s != "success"}
    ledger = query_rows(
        settings,
        f"SELECT data_interval_start, data_interval_end "
        f"FROM `{settings.bq_project}.{settings.marts_dataset}.audit_run_ledger` WHERE run_id = '{run_id}'",
    )
    assert [(r["data_interval_start"], r["data_interval_end"]) for r in ledger] == [(None, None)]
    after = marts_fingerprint(settings)
    assert {t: v[:2] for t, v in after.items()} == {t: v[:2] for t, v in marts_before_scheduling.items()}


@pytest.mark.skipif(not shutil.which("chromium"), reason="needs Debian's chromium (make test installs it)")
def test_grid_view_shows_the_task_groups(airflow_api: local_airflow.AirflowApi, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    shot = tmp_path / "grid.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1600, "height": 1000})
        context.add_cookies([{"name": "_token", "value": airflow_api.token(), "url": airflow_api.base}])
        page = context.new_page()
        page.goto(f"{airflow_api.base}/dags/{DAG_ID}", wait_until="networkidle")  # the grid is the default view
        page.get_by_text("gate_marts").first.wait_for(timeout=60_000)
        page.screenshot(path=str(shot), full_page=True)
        text = page.inner_text("body")
        browser.close()
    for name in ("extract_load", "gate_raw", "staging", "gate_staging", "intermediate", "marts", "publish_marts"):
        assert name in text, name
    assert shot.stat().st_size > 10_000
