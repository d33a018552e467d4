"""Where a gate's verdict goes: JSON file, BigQuery rows, log lines, data docs (served by the
Airflow plugin) and the CLI's exit code."""

from __future__ import annotations

import importlib.util
import json
import logging
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from marketplace_elt.cli import main
from marketplace_elt.quality import GateFailed, build_data_docs, result_path, run_gate
from tests.isolation import settings_env

from .conftest import AUDIT, GOOD_AUDIT, MakeTable, audit_row

RUN_ID = "scheduled__2026-01-02T00:00:00+00:00"


def _results_rows(settings: Any, bq: Any, run_id: str) -> list[dict[str, Any]]:
    table = f"`{settings.bq_project}.{settings.marts_dataset}.quality_gate_results`"
    sql = f"SELECT * FROM {table} WHERE run_id = '{run_id}' ORDER BY `table`, expectation"
    return [dict(r.items()) for r in bq.query(sql).result()]


def test_result_is_stored_as_file_and_bigquery_rows_and_logged(
    services: Any, bq: Any, good_marts: None, make_table: MakeTable, caplog: pytest.LogCaptureFixture
) -> None:
    make_table("marts", "mart_audit_daily", AUDIT, [*GOOD_AUDIT, audit_row("2026-01-03", "payments", 200, 20)])
    with caplog.at_level(logging.INFO, logger="marketplace_elt.quality"), pytest.raises(GateFailed):
        run_gate(services, "marts", RUN_ID)

    path = result_path(services, RUN_ID, "marts")
    assert path == services.home / "gx" / "results" / "scheduled__2026-01-02T00_00_00_00_00" / "marts.json"
    stored = json.loads(path.read_text())
    assert stored["run_id"] == RUN_ID and stored["layer"] == "marts" and stored["success"] is False
    failing = [r for r in stored["results"] if not r["success"]]
    assert [(r["table"], r["expectation"], r["observed_value"]) for r in failing] == [
        ("mart_audit_daily", "invalid_payments_pct", 10.0)
    ]

    rows = _results_rows(services, bq, RUN_ID)
    assert len(rows) == len(stored["results"])
    assert {r["layer"] for r in rows} == {"marts"}
    bad = [r for r in rows if not r["success"]]
    assert [(r["table"], r["expectation"], r["threshold"]) for r in bad] == [
        ("mart_audit_daily", "invalid_payments_pct", "<= 5")
    ]
    assert bad[0]["observed"] == "10" and bad[0]["checked_at"] is not None

    # one plain line per expectation in the log, failures at ERROR
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith(("PASS ", "FAIL "))]
    assert len(lines) == len(rows)
    assert sum(line.startswith("FAIL ") for line in lines) == 1

    # rerunning the same run id replaces its rows instead of adding more
    make_table("marts", "mart_audit_daily", AUDIT, GOOD_AUDIT)
    assert run_gate(services, "marts", RUN_ID).success
    rows = _results_rows(services, bq, RUN_ID)
    assert len(rows) == len(stored["results"]) and all(r["success"] for r in rows)


def _load_plugin(project_root: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gx_docs_plugin", project_root / "airflow" / "plugins" / "gx_docs_plugin.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_data_docs_are_built_and_served_by_the_airflow_plugin(
    services: Any, good_marts: None, project_root: Path
) -> None:
    from fastapi.testclient import TestClient

    result = run_gate(services, "marts", "test-docs-run")
    index = build_data_docs(services)
    assert index == services.home / "gx" / "data_docs" / "index.html"
    assert "gate_marts" in index.read_text()
    assert result.docs_page and (index.parent / result.docs_page).is_file()

    plugin = _load_plugin(project_root)
    (app_spec,) = plugin.GreatExpectationsDocsPlugin.fastapi_apps
    assert app_spec["url_prefix"] == "/gx-docs"
    assert plugin.GreatExpectationsDocsPlugin.external_views[0]["href"] == "/gx-docs/gates.html"

    # The registered app requires an Airflow login ...
    anonymous = TestClient(app_spec["app"]).get("/index.html")
    assert anonymous.status_code == 401 and "log in to Airflow" in anonymous.text
    # ... and serves the built site (login check off: no Airflow API server in this test).
    client = TestClient(plugin.create_app(index.parent, require_login=False))
    landing = client.get("/")
    assert landing.status_code == 200 and landing.url.path == "/gates.html"
    assert "test-docs-run" in landing.text and 'href="index.html"' in landing.text
    gx_index = client.get("/index.html")
    assert gx_index.status_code == 200 and "gate_marts" in gx_index.text
    assert client.get("/" + result.docs_page).status_code == 200
    assert client.get("/static/styles/data_docs_default_styles.css").status_code == 200
    assert client.get("/../../etc/passwd").status_code == 404


def test_plugin_explains_missing_docs(tmp_path: Path, project_root: Path) -> None:
    from fastapi.testclient import TestClient

    plugin = _load_plugin(project_root)
    page = TestClient(plugin.create_app(tmp_path / "nothing", require_login=False)).get("/")
    assert page.status_code == 404 and "No data docs yet" in page.text


def test_cli_run_and_docs(
    services: Any,
    good_marts: None,
    make_table: MakeTable,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The CLI reads its settings from the environment: point it at this module's datasets.
    for key, value in settings_env(services).items():
        monkeypatch.setenv(key, value)
    assert main(["gates", "run", "--layer", "marts", "--run-id", "test-cli-pass"]) == 0
    out = capsys.readouterr().out
    assert "quality gate marts passed" in out and "marts.json" in out

    make_table("marts", "mart_audit_daily", AUDIT, [*GOOD_AUDIT, audit_row("2026-01-03", "payments", 200, 20)])
    assert main(["gates", "run", "--layer", "marts", "--run-id", "test-cli-fail"]) == 1
    out = capsys.readouterr().out
    assert "FAIL marts mart_audit_daily: invalid payments in the latest payments load" in out

    assert main(["gates", "docs"]) == 0
    assert capsys.readouterr().out.strip().endswith("gx/data_docs/index.html")
    assert main(["gates", "run", "--layer", "marts", "--config", "/nonexistent.yml"]) == 2


def test_old_runs_are_pruned_to_keep_runs(services: Any, good_marts: None, tmp_path: Path) -> None:
    config = tmp_path / "keep-one.yml"
    config.write_text(
        "data_docs: {keep_runs: 1}\n"
        "layers:\n"
        "  marts:\n"
        "    dataset: marts\n"
        "    tables:\n"
        "      dim_users: [{expect: row_count}]\n"
    )
    first = run_gate(services, "marts", "test-prune-old", config=config)
    second = run_gate(services, "marts", "test-prune-new", config=config)
    docs = services.home / "gx" / "data_docs"
    assert first.docs_page and second.docs_page
    assert not (docs / first.docs_page).exists() and (docs / second.docs_page).is_file()
    assert not result_path(services, "test-prune-old", "marts").exists()
    assert result_path(services, "test-prune-new", "marts").is_file()
    runs = list((services.home / "gx" / "uncommitted" / "validations" / "gate_marts").iterdir())
    assert [r.name for r in runs] == ["test-prune-new"]
