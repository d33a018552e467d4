"""The Airbyte backend against a local fake of Airbyte's public API (a contract test, not Airbyte).

Covers connection-as-code (`el airbyte apply`: payloads valid for the public API's models, created
once then updated by name), jobs (`el airbyte trigger --wait`, with Airbyte's failure reason), and
the Airflow branch for real: a DAG built with `airbyte_extract_load_tasks` runs under `dag.test()`
in a fresh Airflow (SQLite), talking to the fake through `AIRFLOW_CONN_AIRBYTE_DEFAULT`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace_elt.el.airbyte_api import AirbyteClient
from marketplace_elt.el.airbyte_config import render_specs, stream_configurations
from marketplace_elt.el.catalog import load_catalog
from marketplace_elt.errors import ConfigError, ServiceError
from marketplace_elt.settings import Settings
from tests.el.fake_airbyte_api import FakeAirbyteServer

FAILURE = "Failed to connect to the source: password authentication failed for user marketplace_replicator"


@pytest.fixture()
def airbyte(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAirbyteServer]:
    with FakeAirbyteServer() as server:
        monkeypatch.setenv("AIRBYTE_API_URL", server.base_url)
        monkeypatch.setenv("AIRBYTE_CLIENT_ID", server.fake.client_id)
        monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", server.fake.client_secret)
        yield server


def _cli(*args: str) -> int:
    from marketplace_elt.cli import main

    return main(list(args))


def test_rendered_specs_are_valid_public_api_payloads(settings: Settings) -> None:
    from airbyte_api import models

    specs = render_specs(settings)
    source = models.SourcePostgres.model_validate(specs.source["configuration"])
    assert source.username == "marketplace_replicator"  # the read-only role, never the owner
    assert source.port == settings.source_pg_port and source.schemas == ["public"]
    destination = models.DestinationBigquery.model_validate(specs.destination["configuration"])
    assert destination.dataset_id == settings.raw_dataset and destination.project_id == settings.bq_project
    connection = models.ConnectionCreateRequest.model_validate(
        {**specs.connection, "sourceId": "s", "destinationId": "d"}
    )
    assert connection.configurations is not None and connection.configurations.streams is not None
    by_name = {s.name: s for s in connection.configurations.streams}
    assert set(by_name) == set(load_catalog().names)
    assert by_name["orders"].sync_mode == "incremental_deduped_history"
    assert by_name["orders"].cursor_field == ["updated_at"] and by_name["orders"].primary_key == [["id"]]
    assert by_name["payments"].sync_mode == "incremental_append"
    assert by_name["categories"].sync_mode == "full_refresh_overwrite" and by_name["categories"].cursor_field is None
    # Same names as the raw tables dbt reads: destination namespace, no prefix.
    assert connection.namespace_definition == "destination" and not connection.prefix
    redacted = json.dumps(specs.redacted())
    assert "marketplace_replicator_local" not in redacted and "***" in redacted


def test_stream_configurations_follow_the_catalog() -> None:
    catalog = load_catalog()
    configs = stream_configurations(catalog)
    assert [c["name"] for c in configs] == catalog.names
    for config, stream in zip(configs, catalog.streams, strict=True):
        assert config["syncMode"] == stream.sync_mode
        assert ("cursorField" in config) == stream.incremental


def test_apply_creates_then_updates_by_name(airbyte: FakeAirbyteServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("el", "airbyte", "apply") == 0
    first = capsys.readouterr().out
    assert first.count("created") == 3
    fake = airbyte.fake
    assert len(fake.sources) == len(fake.destinations) == len(fake.connections) == 1
    (connection,) = fake.connections.values()
    assert connection["sourceId"] in fake.sources and connection["destinationId"] in fake.destinations

    assert _cli("el", "airbyte", "apply") == 0
    second = capsys.readouterr().out
    assert second.count("updated") == 3 and "created" not in second
    assert len(fake.sources) == len(fake.destinations) == len(fake.connections) == 1
    patches = [path for method, path, _ in fake.requests if method == "PATCH"]
    assert len(patches) == 3
    assert f"AIRBYTE_CONNECTION_ID={connection['connectionId']}" in second


def test_apply_dry_run_hides_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    assert _cli("el", "airbyte", "apply", "--dry-run") == 0
    out = capsys.readouterr().out
    assert '"password": "***"' in out and "marketplace_replicator_local" not in out


def test_bad_credentials_are_one_line(airbyte: FakeAirbyteServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRBYTE_CLIENT_SECRET", "wrong")
    api = AirbyteClient.from_settings(Settings.from_env())
    with pytest.raises(ConfigError, match="rejected the credentials"):
        api.workspace()


def test_trigger_and_wait(
    airbyte: FakeAirbyteServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = airbyte.fake
    fake.script("conn-ok", ["running", "succeeded"])
    api = AirbyteClient(airbyte.base_url, fake.client_id, fake.client_secret, poll_seconds=0.01)
    job = api.run_job("conn-ok", wait=True)
    assert job["status"] == "succeeded"

    fake.script("conn-bad", ["running", "failed"], failure=FAILURE)
    with pytest.raises(ServiceError, match="password authentication failed"):
        api.run_job("conn-bad", wait=True)

    fake.script("conn-cli", ["succeeded"])
    monkeypatch.setenv("AIRBYTE_CONNECTION_ID", "conn-cli")
    assert _cli("el", "airbyte", "trigger", "--wait") == 0
    assert "succeeded" in capsys.readouterr().out


def test_el_sync_uses_airbyte_when_the_backend_says_so(
    airbyte: FakeAirbyteServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    airbyte.fake.script("conn-backend", ["succeeded"])
    monkeypatch.setenv("EL_BACKEND", "airbyte")
    monkeypatch.setenv("AIRBYTE_CONNECTION_ID", "conn-backend")
    assert _cli("el", "sync") == 0
    assert ("POST", "/api/public/v1/jobs", {"connectionId": "conn-backend", "jobType": "sync"}) in airbyte.fake.requests
    assert _cli("el", "sync", "--stream", "orders") == 2  # Airbyte syncs whole connections
    assert "drop --stream" in capsys.readouterr().err


def test_tasks_need_a_connection_id(settings: Settings) -> None:
    from marketplace_elt.orchestration.airbyte_tasks import airbyte_extract_load_tasks

    with pytest.raises(ConfigError, match="AIRBYTE_CONNECTION_ID"):
        airbyte_extract_load_tasks(dataclasses.replace(settings, airbyte_connection_id=""))


def test_the_branch_ends_with_the_delete_reconciliation(settings: Settings) -> None:
    from datetime import datetime

    from airflow.sdk import DAG

    from marketplace_elt.orchestration.airbyte_tasks import airbyte_extract_load_tasks

    with DAG("branch", schedule=None, start_date=datetime(2026, 1, 1)):
        first, last = airbyte_extract_load_tasks(dataclasses.replace(settings, airbyte_connection_id="c"))
    assert (first.task_id, last.task_id) == ("airbyte_trigger_sync", "reconcile_deletes")
    assert last.upstream_task_ids == {"airbyte_trigger_sync", "airbyte_wait_for_sync"}  # job id from XCom


DAG_FILE = """
from datetime import datetime
import dataclasses

from airflow.sdk import DAG, TaskGroup

from marketplace_elt.orchestration.airbyte_tasks import airbyte_extract_load_tasks
from marketplace_elt.settings import Settings

settings = Settings.from_env()
with DAG("airbyte_branch", schedule=None, start_date=datetime(2026, 1, 1), catchup=False) as dag:
    for name in ("ok", "queued", "broken"):
        with TaskGroup(name):
            # no source database here: the delete reconciliation is tested in test_hard_deletes.py
            first, last = airbyte_extract_load_tasks(
                dataclasses.replace(settings, airbyte_connection_id=f"conn-{name}"), reconcile_deletes=False
            )
            assert (first.task_id, last.task_id) == (f"{name}.airbyte_trigger_sync", f"{name}.airbyte_wait_for_sync")
"""

RUN_DAG = """
import sys
from airflow.dag_processing.dagbag import DagBag

bag = DagBag(dag_folder=sys.argv[1])
assert not bag.import_errors, bag.import_errors
run = bag.get_dag("airbyte_branch").test()
for ti in run.get_task_instances():
    print("RESULT", ti.task_id, ti.state)
"""


@pytest.mark.timeout(300)
def test_airflow_branch_end_to_end(tmp_path: Path) -> None:
    """Trigger (asynchronous) + deferrable sensor, run by Airflow: success, queued-then-success, failure."""
    home = tmp_path / "airflow"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "airbyte_branch.py").write_text(textwrap.dedent(DAG_FILE))
    (tmp_path / "run_dag.py").write_text(textwrap.dedent(RUN_DAG))
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "EL_BACKEND": "airbyte",
    }
    migrate = subprocess.run(
        [sys.executable, "-m", "airflow", "db", "migrate"], env=env, capture_output=True, text=True, timeout=240
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]

    with FakeAirbyteServer() as server:
        fake = server.fake
        fake.script("conn-ok", ["running", "running", "succeeded"])  # sensor defers, trigger sees success
        fake.script("conn-queued", ["queued", "running", "running", "succeeded"])
        fake.script("conn-broken", ["running", "running", "failed"], failure=FAILURE)
        env["AIRFLOW_CONN_AIRBYTE_DEFAULT"] = json.dumps(
            {"conn_type": "airbyte", "host": server.base_url, "login": fake.client_id, "password": fake.client_secret}
        )
        run = subprocess.run(
            [sys.executable, str(tmp_path / "run_dag.py"), str(home / "dags")],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )
        output = run.stdout + run.stderr
        states = dict(line.split()[1:3] for line in run.stdout.splitlines() if line.startswith("RESULT"))
        assert states == {
            "ok.airbyte_trigger_sync": "success",
            "ok.airbyte_wait_for_sync": "success",
            "queued.airbyte_trigger_sync": "success",
            "queued.airbyte_wait_for_sync": "success",
            "broken.airbyte_trigger_sync": "success",
            "broken.airbyte_wait_for_sync": "failed",
        }, output[-4000:]
        # The failed task carries Airbyte's own failure reason, not only "Job run N has failed."
        assert f"did not succeed: source: {FAILURE}" in output
        jobs = [body for method, path, body in fake.requests if (method, path) == ("POST", "/api/public/v1/jobs")]
        assert sorted(j["connectionId"] for j in jobs) == ["conn-broken", "conn-ok", "conn-queued"]
        assert all(j["jobType"] == "sync" for j in jobs)
        assert any(path == "/api/public/v1/applications/token" for _, path, _ in fake.requests)
        assert all(job["status"] in ("succeeded", "failed") for job in fake.jobs.values())
