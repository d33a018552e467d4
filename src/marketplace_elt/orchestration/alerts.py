"""Failure and deadline alerts: Slack-compatible JSON posted to the webhook in an Airflow connection.

The URL lives in the Airflow connection named by ALERT_CONN_ID (created by `marketplace-elt airflow
setup` from ALERT_WEBHOOK_URL), never in code. Written with urllib rather than the Slack provider:
the payload is one small POST and the provider would add a dependency for nothing.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from marketplace_elt.settings import get_settings

log = logging.getLogger(__name__)


def webhook_url(conn_id: str) -> str | None:
    """URL stored in the connection: `host` holding a full URL, or schema://host:port/path."""
    from airflow.sdk.bases.hook import BaseHook

    try:
        conn = BaseHook.get_connection(conn_id)
    except Exception:  # connection not defined: alerts are optional in local runs
        return None
    host = conn.host or ""
    if host.startswith(("http://", "https://")):
        return host
    if not host:
        return None
    scheme = conn.schema or "http"
    port = f":{conn.port}" if conn.port else ""
    path = (conn.extra_dejson or {}).get("endpoint", "")
    return f"{scheme}://{host}{port}/{path.lstrip('/')}"


def post(url: str, payload: dict[str, Any], timeout: float = 10.0) -> None:
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        resp.read()


def failure_message(context: dict[str, Any]) -> dict[str, Any]:
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", context.get("run_id", "?"))
    error = context.get("exception")
    reason = str(error).strip().splitlines()[0][:500] if error else "unknown error"
    text = (
        f":red_circle: *{dag_id}* task `{task_id}` failed (run `{run_id}`): {reason}. "
        f"Runbook: docs/runbook.md#{task_id.split('.')[0].replace('_', '-')}"
    )
    return {
        "text": text,
        "dag_id": dag_id,
        "task_id": task_id,
        "run_id": run_id,
        "try_number": getattr(ti, "try_number", None),
        "reason": reason,
    }


def notify_failure(context: dict[str, Any]) -> None:
    """on_failure_callback: post the failure to the webhook; never raises (alerts must not mask errors)."""
    payload = failure_message(context)
    url = webhook_url(get_settings().alert_conn_id)
    if not url:
        log.warning("no alert webhook configured; failure not sent: %s", payload["text"])
        return
    try:
        post(url, payload)
        log.info("failure alert sent for %s", payload["task_id"])
    except (urllib.error.URLError, OSError) as exc:
        log.error("could not post failure alert to the webhook: %s", exc)


async def deadline_missed(context: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Deadline callback (runs in the triggerer): the whole run is late."""
    dag_run = (context or {}).get("dag_run")
    run_id = getattr(dag_run, "run_id", None) or (context or {}).get("run_id", "?")
    minutes = kwargs.get("minutes", "?")
    payload = {
        "text": f":hourglass: *marketplace_elt* run `{run_id}` is not finished after {minutes} minutes. "
        "Runbook: docs/runbook.md#deadline-missed",
        "dag_id": "marketplace_elt",
        "run_id": run_id,
        "reason": "deadline missed",
    }
    url = webhook_url(get_settings().alert_conn_id)
    if url:
        try:
            post(url, payload)
        except (urllib.error.URLError, OSError) as exc:
            log.error("could not post deadline alert: %s", exc)
    else:
        log.warning("no alert webhook configured; deadline alert not sent: %s", payload["text"])
