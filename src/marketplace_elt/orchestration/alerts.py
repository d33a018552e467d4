"""Failure and deadline alerts: Slack-compatible JSON posted to the webhook in an Airflow connection.

The URL lives in the Airflow connection named by ALERT_CONN_ID (created by `marketplace-elt airflow
setup` from ALERT_WEBHOOK_URL), never in code. Written with urllib rather than the Slack provider:
the payload is one small POST and the provider would add a dependency for nothing.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from marketplace_elt.orchestration.dag import DAG_ID as ELT_DAG_ID
from marketplace_elt.orchestration.impact import Impact, impact_of, load_manifest
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


# A webhook that is down for a moment (a deploy, a 502 from its proxy) gets a few tries spaced by a
# doubling delay; a lost alert is logged, never raised: alerts must not mask the task's own error.
ALERT_ATTEMPTS = 3
ALERT_BACKOFF_SECONDS = 1.0


def post(url: str, payload: dict[str, Any], timeout: float = 10.0) -> None:
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        resp.read()


def _retryable(exc: Exception) -> bool:
    """A later try can succeed: no answer, a timeout, 429 or a 5xx. Not: a 4xx, a malformed URL."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code == 429 or exc.code >= 500
    return isinstance(exc, urllib.error.URLError | OSError)


def deliver(
    url: str,
    payload: dict[str, Any],
    what: str,
    attempts: int | None = None,
    backoff: float | None = None,
    sleep: Callable[[float], None] | None = None,
) -> bool:
    """Post ``payload``, retrying transient failures with backoff; True if delivered. Never raises."""
    attempts = attempts or ALERT_ATTEMPTS
    backoff = ALERT_BACKOFF_SECONDS if backoff is None else backoff
    sleep = sleep or time.sleep
    for attempt in range(1, attempts + 1):
        try:
            post(url, payload)
            return True
        except Exception as exc:
            retry = attempt < attempts and _retryable(exc)
            delay = backoff * 2 ** (attempt - 1)
            if retry:
                log.warning(
                    "could not post %s to the webhook (try %d of %d: %s); retrying in %.0fs",
                    what,
                    attempt,
                    attempts,
                    exc,
                    delay,
                )
                sleep(delay)
                continue
            log.error(
                "could not post %s to the webhook after %d tries (%s); the alert is lost: %s",
                what,
                attempt,
                exc,
                payload.get("text", ""),
            )
            return False
    return False


def _alert_url() -> str | None:
    """The webhook URL, or None (logged) when there is none or the settings cannot be read."""
    try:
        return webhook_url(get_settings().alert_conn_id)
    except Exception as exc:  # a callback must never fail on its own configuration
        log.error("alert webhook unavailable (%s); alert not sent", exc)
        return None


def failure_message(context: dict[str, Any]) -> dict[str, Any]:
    ti = context.get("task_instance") or context.get("ti")
    dag_id = getattr(ti, "dag_id", "?")
    task_id = getattr(ti, "task_id", "?")
    run_id = getattr(ti, "run_id", context.get("run_id", "?"))
    error = context.get("exception")
    reason = str(error).strip().splitlines()[0][:500] if error else "unknown error"
    impact = _impact(task_id) if dag_id == ELT_DAG_ID else None
    text = (
        f":red_circle: *{dag_id}* task `{task_id}` failed (run `{run_id}`): {reason}. "
        f"{_impact_line(dag_id, impact)}"
        f"Runbook: docs/runbook.md#{task_id.split('.')[0].replace('_', '-')}"
    )
    return {
        "text": text,
        "dag_id": dag_id,
        "task_id": task_id,
        "run_id": run_id,
        "try_number": getattr(ti, "try_number", None),
        "reason": reason,
        "owners": list(impact.owners) if impact else [],
        "impact_tier": impact.tier if impact else None,
        "affected_marts": list(impact.marts) if impact else [],
    }


def _impact_line(dag_id: str, impact: Impact | None) -> str:
    if impact:
        return impact.line() + " "
    return "Impact: unknown (dbt manifest unreadable). " if dag_id == ELT_DAG_ID else ""


def _impact(task_id: str) -> Impact | None:
    """Owners and tier of the marts the failed task holds back (dbt meta); None if unreadable."""
    from marketplace_elt.transform.dbt import manifest_path

    try:
        return impact_of(task_id, load_manifest(manifest_path(get_settings())))
    except Exception as exc:  # the alert must go out even when the manifest cannot be read
        log.error("could not work out the failure's impact (%s); alert sent without owners", exc)
        return None


def notify_failure(context: dict[str, Any]) -> None:
    """on_failure_callback: post the failure to the webhook; never raises (alerts must not mask errors)."""
    payload = failure_message(context)
    url = _alert_url()
    if not url:
        log.warning("no alert webhook configured; failure not sent: %s", payload["text"])
        return
    if deliver(url, payload, "failure alert"):
        log.info("failure alert sent for %s", payload["task_id"])


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
    url = _alert_url()
    if url:
        # In the triggerer's event loop: retries (and their sleeps) run in a thread, not in the loop.
        await asyncio.to_thread(deliver, url, payload, "deadline alert")
    else:
        log.warning("no alert webhook configured; deadline alert not sent: %s", payload["text"])
