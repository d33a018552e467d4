"""A small client for Airbyte's public API (`/api/public/v1`): apply connection-as-code, run jobs.

Authentication is OAuth client credentials (`POST /applications/token` with the client id and
secret, as the Airflow provider's SDK does); without them requests go unauthenticated, which is
what an Airbyte OSS deployment with auth disabled expects. Objects are matched by name, so
`apply` is idempotent: it creates what is missing and PATCHes what exists.
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests

from marketplace_elt.el.airbyte_config import AirbyteSpecs
from marketplace_elt.errors import ConfigError, ServiceError
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)

TERMINAL_OK = "succeeded"
TERMINAL_FAILED = ("failed", "cancelled")
RUNNING = ("pending", "running", "incomplete", "queued")


def error_detail(response: requests.Response) -> str:
    """Airbyte's own words for a failed request (problem+json ``detail``/``message``), else the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:300] or response.reason
    if isinstance(body, dict):
        for key in ("detail", "message", "title", "error"):
            if body.get(key):
                return str(body[key])[:300]
    return str(body)[:300]


class AirbyteClient:
    def __init__(
        self,
        base_url: str,
        client_id: str = "",
        client_secret: str = "",
        workspace_id: str = "",
        timeout: float = 30.0,
        poll_seconds: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.client_secret = client_secret
        self.workspace_id = workspace_id
        self.timeout = timeout
        self.poll_seconds = poll_seconds
        self.session = requests.Session()
        self._token: str | None = None
        self._token_expires = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AirbyteClient:
        return cls(
            settings.airbyte_api_url,
            client_id=settings.airbyte_client_id,
            client_secret=settings.airbyte_client_secret,
            workspace_id=settings.airbyte_workspace_id,
        )

    # -- transport -------------------------------------------------------------------------------
    def _auth_headers(self) -> dict[str, str]:
        if not (self.client_id and self.client_secret):
            return {}
        if self._token is None or time.monotonic() > self._token_expires:
            resp = self._send(
                "POST",
                "/applications/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                },
                auth=False,
            )
            body = resp.json()
            self._token = str(body["access_token"])
            self._token_expires = time.monotonic() + float(body.get("expires_in", 180)) - 30
        return {"Authorization": f"Bearer {self._token}"}

    def _send(self, method: str, path: str, *, auth: bool = True, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else f"{self.base_url}{path}"
        headers = {"Accept": "application/json", **(self._auth_headers() if auth else {})}
        try:
            resp = self.session.request(method, url, headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise ServiceError(
                f"Airbyte API at {self.base_url} is not reachable ({type(exc).__name__}); "
                "check AIRBYTE_API_URL and that Airbyte is running"
            ) from None
        if resp.status_code in (401, 403):
            raise ConfigError(
                f"Airbyte rejected the credentials ({resp.status_code}: {error_detail(resp)}); "
                "check AIRBYTE_CLIENT_ID / AIRBYTE_CLIENT_SECRET"
            )
        if resp.status_code >= 400:
            raise ServiceError(
                f"Airbyte API {method} {path} failed ({resp.status_code}: {error_detail(resp)}); "
                "fix the request or Airbyte and rerun"
            )
        return resp

    def call(self, method: str, path: str, json_body: Any = None, params: dict[str, Any] | None = None) -> Any:
        resp = self._send(method, path, json=json_body, params=params)
        return resp.json() if resp.content else {}

    # -- lookups ---------------------------------------------------------------------------------
    def workspace(self) -> str:
        if self.workspace_id:
            return self.workspace_id
        workspaces = self.call("GET", "/workspaces").get("data", [])
        if len(workspaces) != 1:
            raise ConfigError(
                f"Airbyte has {len(workspaces)} workspaces; set AIRBYTE_WORKSPACE_ID to the one to configure"
            )
        self.workspace_id = str(workspaces[0]["workspaceId"])
        return self.workspace_id

    def _list(self, kind: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self.call(
                "GET", f"/{kind}", params={"workspaceIds": self.workspace(), "limit": 100, "offset": offset}
            )
            data = page.get("data", [])
            items += data
            if not page.get("next") or not data:
                return items
            offset += len(data)

    def _find(self, kind: str, name: str) -> dict[str, Any] | None:
        matches = [item for item in self._list(kind) if item.get("name") == name]
        if len(matches) > 1:
            raise ConfigError(
                f"Airbyte has {len(matches)} {kind} named {name!r}; delete the extras so names are unique"
            )
        return matches[0] if matches else None

    # -- apply -----------------------------------------------------------------------------------
    def _upsert(self, kind: str, id_key: str, spec: dict[str, Any], extra: dict[str, Any]) -> tuple[str, str, str]:
        existing = self._find(kind, spec["name"])
        if existing is None:
            created = self.call("POST", f"/{kind}", {**spec, **extra})
            return spec["name"], str(created[id_key]), "created"
        object_id = str(existing[id_key])
        self.call("PATCH", f"/{kind}/{object_id}", spec)
        return spec["name"], object_id, "updated"

    def apply(self, specs: AirbyteSpecs) -> dict[str, tuple[str, str, str]]:
        """Create or update source, destination and connection by name; {kind: (name, id, action)}."""
        workspace = self.workspace()
        source = self._upsert("sources", "sourceId", specs.source, {"workspaceId": workspace})
        destination = self._upsert("destinations", "destinationId", specs.destination, {"workspaceId": workspace})
        existing = self._find("connections", specs.connection["name"])
        if existing is not None and (existing.get("sourceId"), existing.get("destinationId")) != (
            source[1],
            destination[1],
        ):
            raise ConfigError(
                f"Airbyte connection {specs.connection['name']!r} links other source/destination ids; "
                "rename it in airbyte/connection.json or delete the old connection"
            )
        connection = self._upsert(
            "connections", "connectionId", specs.connection, {"sourceId": source[1], "destinationId": destination[1]}
        )
        return {"source": source, "destination": destination, "connection": connection}

    # -- jobs ------------------------------------------------------------------------------------
    def connection_id(self, settings: Settings) -> str:
        if settings.airbyte_connection_id:
            return settings.airbyte_connection_id
        raise ConfigError(
            "AIRBYTE_CONNECTION_ID is not set; run `marketplace-elt el airbyte apply` and set it to the id it prints"
        )

    def failure_reason(self, job_id: int) -> str | None:
        """Why a job failed, from the last attempt's failure summary.

        The public API's job object carries no reason; Airbyte's configuration API
        (`POST /api/v1/jobs/get`, same host) does. Best effort: None when it is not reachable
        (Airbyte Cloud exposes only the public API).
        """
        parts = urlsplit(self.base_url)
        prefix = parts.path.split("/api/public/")[0] if "/api/public/" in parts.path else None
        if prefix is None:
            return None
        url = urlunsplit((parts.scheme, parts.netloc, f"{prefix}/api/v1/jobs/get", "", ""))
        try:
            body = self.call("POST", url, {"id": int(job_id)})
        except Exception:
            log.debug("no failure summary for job %s", job_id, exc_info=True)
            return None
        messages: list[str] = []
        for attempt in reversed(body.get("attempts") or []):
            summary = (attempt.get("attempt") or attempt).get("failureSummary") or {}
            for failure in summary.get("failures") or []:
                text = failure.get("externalMessage") or failure.get("internalMessage")
                if text:
                    origin = failure.get("failureOrigin")
                    messages.append(f"{origin}: {text}" if origin else str(text))
            if messages:
                break
        return "; ".join(messages) or None

    def run_job(self, connection_id: str, job_type: str = "sync", wait: bool = False) -> dict[str, Any]:
        """Start a job; with ``wait`` poll until it ends and raise ServiceError unless it succeeded."""
        job: dict[str, Any] = self.call("POST", "/jobs", {"connectionId": connection_id, "jobType": job_type})
        log.info("airbyte job %s started (%s)", job.get("jobId"), job.get("status"))
        while wait and job.get("status") in RUNNING:
            time.sleep(self.poll_seconds)
            job = self.call("GET", f"/jobs/{job['jobId']}")
            log.info("airbyte job %s: %s", job.get("jobId"), job.get("status"))
        if wait and job.get("status") != TERMINAL_OK:
            reason = self.failure_reason(int(job["jobId"])) or "no reason reported"
            raise ServiceError(
                f"Airbyte job {job['jobId']} ended {job.get('status')} ({reason}); see the job log in Airbyte and rerun"
            )
        return job
