"""Failure alerts reach a real HTTP endpoint through the Airflow connection, as Slack-style JSON."""

from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

import pytest

from marketplace_elt.drills.webhook import AlertReceiver as WebhookReceiver
from marketplace_elt.orchestration import alerts


def _context() -> dict[str, object]:
    ti = SimpleNamespace(dag_id="marketplace_elt", task_id="gate_marts", run_id="manual__1", try_number=1)
    return {"task_instance": ti, "exception": ValueError("gate marts failed: 2 of 9 expectations\nmore detail")}


def test_failure_alert_is_posted_to_the_webhook_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    with WebhookReceiver() as hook:
        monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": hook.url}))
        alerts.notify_failure(_context())
    assert len(hook.payloads) == 1
    payload = hook.payloads[0]
    assert payload["task_id"] == "gate_marts"
    assert payload["reason"] == "gate marts failed: 2 of 9 expectations"
    assert "*marketplace_elt* task `gate_marts` failed" in payload["text"]
    assert "docs/runbook.md#gate-marts" in payload["text"]


def test_connection_without_url_scheme_is_assembled(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = {"conn_type": "http", "host": "hooks.example.test", "schema": "https", "extra": {"endpoint": "/x/y"}}
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps(spec))
    assert alerts.webhook_url("alert_webhook") == "https://hooks.example.test/x/y"


def test_missing_connection_or_dead_endpoint_never_raises(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_ALERT_WEBHOOK", raising=False)
    alerts.notify_failure(_context())
    assert "no alert webhook configured" in caplog.text
    monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": "http://127.0.0.1:9"}))
    alerts.notify_failure(_context())
    assert "could not post failure alert" in caplog.text


def test_deadline_alert_names_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    with WebhookReceiver() as hook:
        monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": hook.url}))
        asyncio.run(alerts.deadline_missed({"dag_run": SimpleNamespace(run_id="scheduled__2026")}, minutes=120))
    assert hook.payloads[0]["reason"] == "deadline missed"
    assert "`scheduled__2026` is not finished after 120 minutes" in hook.payloads[0]["text"]
