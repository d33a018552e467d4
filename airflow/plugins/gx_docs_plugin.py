"""Airflow plugin: the Great Expectations data docs of the quality gates, inside the Airflow UI.

* serves ``MELT_HOME/gx/data_docs`` (built by every gate run and by ``marketplace-elt gates docs``)
  at ``/gx-docs/`` on the Airflow API server, as a FastAPI app mounting StaticFiles; ``/gx-docs/``
  opens ``gates.html`` (latest verdicts, script-free), which links to GX's ``index.html``;
* adds a "Data quality" entry to the UI's Browse menu that shows those pages.

Only logged-in Airflow users can read the pages: each request must carry the UI's session cookie
(or an API bearer token), checked with Airflow's own auth manager.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from pathlib import Path

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.security.utils import get_authorization_scheme_param
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.types import Scope

URL_PREFIX = "/gx-docs"
LANDING = "gates.html"  # written next to GX's index.html by marketplace_elt.quality.landing

_NOT_BUILT = """<!doctype html><html><head><title>Data quality</title></head>
<body style="font-family: sans-serif; margin: 2rem">
<h2>No data docs yet</h2>
<p>The quality gates have not run yet in this deployment (nothing in <code>{directory}</code>).</p>
<p>They are built by every gate of the <code>marketplace_elt</code> DAG, or by
<code>marketplace-elt gates docs</code>.</p></body></html>"""


class DataDocsFiles(StaticFiles):
    """StaticFiles that explains an empty site instead of answering a bare 404."""

    async def check_config(self) -> None:
        # The site appears with the first gate run; until then answer the page below, not a 500.
        if Path(str(self.directory)).is_dir():
            await super().check_config()

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            return await super().get_response(path, scope)
        except HTTPException as exc:
            index = Path(str(self.directory)) / "index.html"
            if exc.status_code == 404 and path in ("", ".", "index.html", LANDING) and not index.exists():
                return HTMLResponse(_NOT_BUILT.format(directory=html.escape(str(self.directory))), 404)
            raise


async def _airflow_user_or_error(request: Request) -> Response | None:
    """None when the request comes from a logged-in Airflow user, else the error response to send."""
    from airflow.api_fastapi.core_api.security import get_user
    from fastapi import HTTPException as FastAPIHTTPException
    from fastapi.security import HTTPAuthorizationCredentials

    scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
    credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=token) if scheme and token else None
    try:
        await get_user(request, None, credentials)
    except FastAPIHTTPException as exc:
        return HTMLResponse(
            f"<p>{html.escape(str(exc.detail))}: log in to Airflow first, then reopen this page.</p>",
            status_code=exc.status_code,
        )
    return None


def create_app(directory: Path, *, require_login: bool = True) -> FastAPI:
    """The docs app: ``directory`` served as static files, behind Airflow login unless told otherwise."""
    app = FastAPI(title="Great Expectations data docs", docs_url=None, redoc_url=None, openapi_url=None)
    if require_login:

        @app.middleware("http")
        async def login_required(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
            denied = await _airflow_user_or_error(request)
            return denied if denied is not None else await call_next(request)

    @app.get("/", include_in_schema=False)
    async def landing() -> RedirectResponse:
        return RedirectResponse(LANDING)  # relative: stays under whatever prefix the app is mounted at

    app.mount("/", DataDocsFiles(directory=directory, html=True, check_dir=False), name="gx-docs")
    return app


def _docs_directory() -> Path:
    from marketplace_elt.quality import data_docs_dir
    from marketplace_elt.settings import get_settings

    return data_docs_dir(get_settings())


class GreatExpectationsDocsPlugin(AirflowPlugin):
    name = "gx_data_docs"
    fastapi_apps = [{"app": create_app(_docs_directory()), "url_prefix": URL_PREFIX, "name": "GX data docs"}]  # noqa: RUF012
    external_views = [  # noqa: RUF012
        {
            "name": "Data quality",
            "href": f"{URL_PREFIX}/{LANDING}",
            "url_route": "gx-docs",
            "destination": "nav",
            "category": "browse",
        }
    ]
