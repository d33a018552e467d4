"""Extract-load: source PostgreSQL -> BigQuery dataset `raw`, in Airbyte's raw-table format.

Two backends, one catalog (`airbyte/streams/*.yml`), chosen by ``Settings.el_backend``:

* ``embedded`` (default) — the loader in this package (psycopg COPY + BigQuery load jobs + MERGE);
* ``airbyte`` — a real Airbyte connection configured from `airbyte/` (``el airbyte apply``) and
  triggered by Airflow (``marketplace_elt.orchestration.airbyte_tasks.airbyte_extract_load_tasks``).

Both write the same tables, so dbt never knows which one ran. Public API for the DAG and the CLI:
``sync()``, ``SyncResult``, ``STREAMS`` / ``stream_names()``, ``load_catalog()``, ``last_syncs()``.
"""

from __future__ import annotations

from typing import Any

from marketplace_elt.el.catalog import Catalog, Stream, load_catalog, stream_names
from marketplace_elt.el.sync_log import SyncFailed, SyncResult
from marketplace_elt.settings import Settings

STREAMS: tuple[str, ...] = tuple(stream_names())
"""Stream names in catalog (load) order: the DAG creates one embedded-loader task per name."""


def sync(
    settings: Settings,
    streams: list[str] | None = None,
    full_refresh: bool = False,
    *,
    sync_id: int | None = None,
    parallel: int = 1,
) -> list[SyncResult]:
    """Sync streams into raw with the embedded loader; see :func:`marketplace_elt.el.loader.sync`.

    (Imported lazily so that parsing a DAG that only needs ``STREAMS`` stays cheap.)
    """
    from marketplace_elt.el.loader import sync as _sync

    return _sync(settings, streams, full_refresh, sync_id=sync_id, parallel=parallel)


def last_syncs(settings: Settings) -> list[dict[str, Any]]:
    """Latest el_sync_log row per stream, with ``state`` (the stream's saved cursor)."""
    from marketplace_elt.bigquery import client
    from marketplace_elt.el import sync_log

    bq = client(settings)
    sync_log.ensure_table(bq, settings)
    return sync_log.last_syncs(bq, settings)


__all__ = [
    "STREAMS",
    "Catalog",
    "Stream",
    "SyncFailed",
    "SyncResult",
    "last_syncs",
    "load_catalog",
    "stream_names",
    "sync",
]
