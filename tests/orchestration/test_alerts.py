"""Failure alerts reach a real HTTP endpoint through the Airflow connection, as Slack-style JSON."""

from __future__ import annotations

import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest

from marketplace_drills.webhook import AlertReceiver as WebhookReceiver
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
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fast_backoff: list[float]
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


class FlakyWebhook:
    """An endpoint answering ``status`` to the first ``failures`` posts, then 200; counts every try."""

    def __init__(self, failures: int, status: int = 503) -> None:
        self.tries = 0
        self.delivered: list[dict[str, object]] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.tries += 1
                ok = hook.tries > failures
                if ok:
                    hook.delivered.append(json.loads(body))
                self.send_response(200 if ok else status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self) -> FlakyWebhook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    slept: list[float] = []
    monkeypatch.setattr(alerts.time, "sleep", slept.append)
    return slept


def test_a_flaky_webhook_gets_the_alert_after_retries(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fast_backoff: list[float]
) -> None:
    with FlakyWebhook(failures=2) as hook:
        monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": hook.url}))
        alerts.notify_failure(_context())
    assert hook.tries == 3 and len(hook.delivered) == 1
    assert fast_backoff == [1.0, 2.0], "doubling backoff between tries"
    assert caplog.text.count("retrying in") == 2
    assert "failure alert sent for gate_marts" in caplog.text


def test_a_webhook_down_for_good_is_tried_a_bounded_number_of_times_then_logged(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fast_backoff: list[float]
) -> None:
    with FlakyWebhook(failures=100) as hook:
        monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": hook.url}))
        alerts.notify_failure(_context())  # must not raise into the task
        assert hook.tries == alerts.ALERT_ATTEMPTS
        asyncio.run(alerts.deadline_missed({"run_id": "scheduled__x"}, minutes=120))
    assert hook.tries == 2 * alerts.ALERT_ATTEMPTS
    assert "could not post failure alert to the webhook after 3 tries" in caplog.text
    assert "could not post deadline alert to the webhook after 3 tries" in caplog.text


def test_a_client_error_is_not_retried(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fast_backoff: list[float]
) -> None:
    with FlakyWebhook(failures=100, status=404) as hook:
        monkeypatch.setenv("AIRFLOW_CONN_ALERT_WEBHOOK", json.dumps({"conn_type": "http", "host": hook.url}))
        alerts.notify_failure(_context())
    assert hook.tries == 1 and fast_backoff == []
    assert "after 1 tries (HTTP Error 404" in caplog.text


def test_unreadable_settings_in_a_callback_are_logged_not_raised(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("PIPELINE_SCHEDULE", "every tuesday")
    alerts.notify_failure(_context())
    assert "alert webhook unavailable (PIPELINE_SCHEDULE=" in caplog.text
