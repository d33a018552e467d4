"""A small local fake of Airbyte's public API (and the one config-API call we use), for contract tests.

It implements just what the platform calls, with the request/response shapes of Airbyte's public
API v1 (the `airbyte-api` SDK's models): the OAuth token endpoint, workspaces, sources,
destinations and connections (list/create/patch), jobs (create/get/cancel) and `POST
/api/v1/jobs/get` for a failed job's failure summary. It is not Airbyte: it checks the calls, it
does not move data.

Job behaviour is scripted per connection: ``FakeAirbyte.script(connection_id, [statuses],
failure=...)`` sets the statuses successive GET /jobs/{id} calls return (the last one repeats).
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

PUBLIC = "/api/public/v1"


@dataclass
class JobScript:
    statuses: list[str]
    failure: str | None = None


@dataclass
class FakeAirbyte:
    client_id: str = "test-client"
    client_secret: str = "test-secret"
    workspace_id: str = "6a1b2c3d-0000-4000-8000-000000000001"
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    destinations: dict[str, dict[str, Any]] = field(default_factory=dict)
    connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[int, dict[str, Any]] = field(default_factory=dict)
    scripts: dict[str, JobScript] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)
    _job_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    _polls: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, connection_id: str, statuses: list[str], failure: str | None = None) -> None:
        self.scripts[connection_id] = JobScript(statuses, failure)

    # -- helpers ---------------------------------------------------------------------------------
    def job_view(self, job_id: int, advance: bool) -> dict[str, Any]:
        job = self.jobs[job_id]
        script = self.scripts.get(job["connectionId"], JobScript(["running", "succeeded"]))
        if advance:
            self._polls[job_id] = self._polls.get(job_id, 0) + 1
        index = min(self._polls.get(job_id, 0), len(script.statuses) - 1)
        status = job.get("forced_status") or script.statuses[index]
        job["status"] = status
        view = {k: v for k, v in job.items() if k != "forced_status"}
        if status in ("succeeded", "failed", "cancelled"):
            view.update({"duration": "PT2S", "rowsSynced": 42, "bytesSynced": 4200})
        return view


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr logging
        pass

    # -- plumbing --------------------------------------------------------------------------------
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        if self.headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
            return {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        return json.loads(raw)

    def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _problem(self, status: int, title: str, detail: str) -> None:
        self._send(
            status,
            {"type": f"https://reference.airbyte.com/{title}", "title": title, "status": status, "detail": detail},
            "application/problem+json",
        )

    def _authorised(self) -> bool:
        auth = self.headers.get("Authorization", "")
        return auth.startswith("Bearer ") and auth.removeprefix("Bearer ") in self.server.fake.tokens

    def _dispatch(self, method: str) -> None:
        fake = self.server.fake
        url = urlsplit(self.path)
        body = self._body() if method in ("POST", "PATCH") else None
        with fake.lock:
            fake.requests.append((method, url.path, body))
        if url.path == "/api/v1/jobs/get" and method == "POST":
            return self._config_job(body)
        if not url.path.startswith(PUBLIC):
            return self._problem(404, "not-found", f"no route {url.path}")
        path = url.path[len(PUBLIC) :]
        if path == "/applications/token" and method == "POST":
            return self._token(body or {})
        if path == "/health":
            return self._send(200, {"available": True})
        if not self._authorised():
            return self._problem(401, "unauthorized", "missing or invalid bearer token")
        parts = [p for p in path.split("/") if p]
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with fake.lock:
            if parts == ["workspaces"] and method == "GET":
                return self._send(
                    200,
                    {
                        "data": [
                            {"workspaceId": fake.workspace_id, "name": "Default Workspace", "dataResidency": "auto"}
                        ]
                    },
                )
            if parts and parts[0] in ("sources", "destinations", "connections"):
                return self._objects(method, parts, query, body)
            if parts and parts[0] == "jobs":
                return self._jobs(method, parts, body)
        return self._problem(404, "not-found", f"no route {method} {path}")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # -- endpoints -------------------------------------------------------------------------------
    def _token(self, body: dict[str, Any]) -> None:
        fake = self.server.fake
        grant = body.get("grant_type") or body.get("grant-type")
        if grant != "client_credentials" or (body.get("client_id"), body.get("client_secret")) != (
            fake.client_id,
            fake.client_secret,
        ):
            return self._problem(401, "unauthorized", "invalid client credentials")
        token = f"tok-{uuid.uuid4().hex[:12]}"
        fake.tokens.add(token)
        self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": 180})

    def _objects(self, method: str, parts: list[str], query: dict[str, str], body: Any) -> None:
        fake = self.server.fake
        kind = parts[0]
        store = getattr(fake, kind)
        id_key = {"sources": "sourceId", "destinations": "destinationId", "connections": "connectionId"}[kind]
        if len(parts) == 1 and method == "GET":
            items = [v for v in store.values() if v["workspaceId"] in query.get("workspaceIds", "").split(",")]
            offset, limit = int(query.get("offset", 0)), int(query.get("limit", 20))
            page = items[offset : offset + limit]
            nxt = f"{PUBLIC}/{kind}?offset={offset + limit}" if offset + limit < len(items) else None
            return self._send(200, {"data": page, "next": nxt})
        if len(parts) == 1 and method == "POST":
            if kind == "connections":
                source = fake.sources.get(body.get("sourceId", ""))
                if source is None or body.get("destinationId") not in fake.destinations:
                    return self._problem(400, "bad-request", "sourceId/destinationId not found")
                workspace = source["workspaceId"]
            else:
                workspace = body.get("workspaceId")
                if workspace != fake.workspace_id:
                    return self._problem(400, "bad-request", f"workspace {workspace} not found")
            object_id = str(uuid.uuid4())
            item = {**body, id_key: object_id, "workspaceId": workspace, "createdAt": 1763900000}
            store[object_id] = item
            return self._send(200, item)
        if len(parts) == 2 and method == "PATCH":
            if parts[1] not in store:
                return self._problem(404, "not-found", f"{kind} {parts[1]} not found")
            store[parts[1]].update(body or {})
            return self._send(200, store[parts[1]])
        if len(parts) == 2 and method == "GET" and parts[1] in store:
            return self._send(200, store[parts[1]])
        return self._problem(404, "not-found", f"{kind} {'/'.join(parts[1:])} not found")

    def _jobs(self, method: str, parts: list[str], body: Any) -> None:
        fake = self.server.fake
        if len(parts) == 1 and method == "POST":
            connection_id = (body or {}).get("connectionId")
            if connection_id not in fake.connections and connection_id not in fake.scripts:
                return self._problem(404, "not-found", f"connection {connection_id} not found")
            if any(
                j["connectionId"] == connection_id and j["status"] in ("pending", "running") for j in fake.jobs.values()
            ):
                return self._problem(409, "conflict", f"A sync is already running for: {connection_id}")
            job_id = next(fake._job_ids)
            fake.jobs[job_id] = {
                "jobId": job_id,
                "status": "pending",
                "jobType": body.get("jobType", "sync"),
                "connectionId": connection_id,
                "startTime": datetime.now(UTC).isoformat(),
                "lastUpdatedAt": datetime.now(UTC).isoformat(),
            }
            return self._send(200, fake.job_view(job_id, advance=False))
        if len(parts) == 2 and parts[1].isdigit() and int(parts[1]) in fake.jobs:
            job_id = int(parts[1])
            if method == "GET":
                return self._send(200, fake.job_view(job_id, advance=True))
            if method == "DELETE":
                fake.jobs[job_id]["forced_status"] = "cancelled"
                return self._send(200, fake.job_view(job_id, advance=False))
        return self._problem(404, "not-found", f"job {'/'.join(parts[1:])} not found")

    def _config_job(self, body: Any) -> None:
        fake = self.server.fake
        job_id = int((body or {}).get("id", -1))
        with fake.lock:
            job = fake.jobs.get(job_id)
            script = fake.scripts.get(job["connectionId"]) if job else None
        if job is None:
            return self._problem(404, "not-found", f"job {job_id} not found")
        failures = []
        if script and script.failure:
            failures = [
                {
                    "failureOrigin": "source",
                    "failureType": "config_error",
                    "externalMessage": script.failure,
                    "internalMessage": "java.lang.RuntimeException",
                }
            ]
        attempt = {"id": 0, "status": job["status"], "failureSummary": {"failures": failures} if failures else None}
        self._send(
            200,
            {"job": {"id": job_id, "configType": "sync", "status": job["status"]}, "attempts": [{"attempt": attempt}]},
        )


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeAirbyte


class FakeAirbyteServer:
    """Run a FakeAirbyte on 127.0.0.1 (a free port) in a background thread."""

    def __init__(self, fake: FakeAirbyte | None = None) -> None:
        self.fake = fake or FakeAirbyte()
        self.httpd = _Server(("127.0.0.1", 0), _Handler)
        self.httpd.fake = self.fake
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="fake-airbyte", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}{PUBLIC}"

    def __enter__(self) -> FakeAirbyteServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
