"""`raw.el_sync_log`: one row per stream per sync, and the loader's only state.

Columns: sync_id, stream, sync_mode, rows_read, rows_written, cursor_before, cursor_after,
started_at, finished_at, duration_s, status ('succeeded' | 'failed'), error, schema_changes (JSON
list of what this sync changed in the raw table's schema: columns added, nulled or widened, NULL
when nothing changed), rows_deleted (raw rows this sync marked as hard-deleted at the source).
The audit marts read it.

The state of a stream is the ``cursor_after`` of its last succeeded row. That row is appended
only after the stream's MERGE has committed, so a sync killed at any point leaves the previous
state in place and the rerun re-reads (and deduplicates) what the killed run may have written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery

TABLE = "el_sync_log"

COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("sync_id", "INT64", "REQUIRED"),
    ("stream", "STRING", "REQUIRED"),
    ("sync_mode", "STRING", "REQUIRED"),
    ("rows_read", "INT64", "NULLABLE"),
    ("rows_written", "INT64", "NULLABLE"),
    ("cursor_before", "STRING", "NULLABLE"),
    ("cursor_after", "STRING", "NULLABLE"),
    ("started_at", "TIMESTAMP", "REQUIRED"),
    ("finished_at", "TIMESTAMP", "NULLABLE"),
    ("duration_s", "FLOAT64", "NULLABLE"),
    ("status", "STRING", "REQUIRED"),
    ("error", "STRING", "NULLABLE"),
    ("schema_changes", "STRING", "NULLABLE"),
    ("rows_deleted", "INT64", "NULLABLE"),
)


@dataclass(frozen=True)
class SyncResult:
    """What one stream's sync did; exactly the row it appends to ``el_sync_log``."""

    sync_id: int
    stream: str
    sync_mode: str
    rows_read: int
    rows_written: int
    cursor_before: str | None
    cursor_after: str | None
    started_at: datetime
    finished_at: datetime
    duration_s: float
    status: str
    error: str | None = None
    schema_changes: str | None = None
    rows_deleted: int = 0  # raw rows marked deleted at the source by this sync (el/deletes.py)
    # Not logged: whether rerunning the same sync could succeed (False for a type change only a
    # full refresh resolves), so an orchestrator does not retry what cannot pass.
    retryable: bool = True

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def rows_per_s(self) -> float:
        return self.rows_read / self.duration_s if self.duration_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (timestamps as ISO strings), e.g. for an Airflow XCom."""
        out = {n: getattr(self, n) for n, _, _ in COLUMNS}
        out["started_at"] = self.started_at.isoformat()
        out["finished_at"] = self.finished_at.isoformat()
        out["rows_per_s"] = round(self.rows_per_s, 1)
        return out


class SyncFailed(UserError):
    """One or more streams failed; the others were synced. ``results`` holds every stream's outcome."""

    def __init__(self, message: str, results: list[SyncResult]) -> None:
        super().__init__(message)
        self.results = results

    @property
    def retryable(self) -> bool:
        """False when no failed stream can succeed by rerunning the same sync."""
        return any(r.retryable for r in self.results if not r.succeeded)


def table_ref(settings: Settings) -> str:
    return f"`{settings.bq_project}.{settings.raw_dataset}.{TABLE}`"


def ensure_table(bq: bigquery.Client, settings: Settings) -> None:
    from google.cloud import bigquery

    table = bigquery.Table(
        f"{settings.bq_project}.{settings.raw_dataset}.{TABLE}",
        schema=[bigquery.SchemaField(n, t, mode=m) for n, t, m in COLUMNS],
    )
    table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY, field="started_at")
    table.clustering_fields = ["stream"]
    table.description = "One row per stream per extract-load sync; the last succeeded cursor_after is the state."
    existing = bq.create_table(table, exists_ok=True)
    if existing.schema and len(existing.schema) < len(COLUMNS):  # a log written by an older version
        from marketplace_elt.el.raw_tables import add_columns

        have = {f.name for f in existing.schema}
        missing = [bigquery.SchemaField(n, t) for n, t, _ in COLUMNS if n not in have]
        try:
            add_columns(bq, settings, TABLE, missing)
        except Exception:
            # Stream tasks of one run start together: another one may have just added them.
            now = {f.name for f in bq.get_table(existing.reference).schema}
            if any(f.name not in now for f in missing):
                raise


def saved_cursors(bq: bigquery.Client, settings: Settings) -> dict[str, str | None]:
    """cursor_after of each stream's last succeeded sync (streams never synced are absent)."""
    sql = (
        f"SELECT stream, cursor_after FROM {table_ref(settings)} WHERE status = 'succeeded' "
        "QUALIFY ROW_NUMBER() OVER (PARTITION BY stream ORDER BY finished_at DESC, sync_id DESC) = 1"
    )
    return {row["stream"]: row["cursor_after"] for row in bq.query(sql).result()}


def next_sync_id(bq: bigquery.Client, settings: Settings) -> int:
    rows = list(bq.query(f"SELECT MAX(sync_id) AS m FROM {table_ref(settings)}").result())
    last = rows[0][0] if rows else None
    return int(last or 0) + 1


def append(bq: bigquery.Client, settings: Settings, result: SyncResult) -> None:
    from google.cloud import bigquery

    types = {n: t for n, t, _ in COLUMNS}
    values: dict[str, Any] = {n: getattr(result, n) for n, _, _ in COLUMNS}
    params = [bigquery.ScalarQueryParameter(n, types[n], v) for n, v in values.items()]
    names = ", ".join(values)
    placeholders = ", ".join(f"@{n}" for n in values)
    sql = f"INSERT INTO {table_ref(settings)} ({names}) VALUES ({placeholders})"
    bq.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=params)).result()


def last_syncs(bq: bigquery.Client, settings: Settings) -> list[dict[str, Any]]:
    """The latest row per stream plus the stream's current cursor (last succeeded cursor_after)."""
    sql = (
        "SELECT l.*, s.cursor_after AS state FROM ("
        f"  SELECT * FROM {table_ref(settings)}"
        "   QUALIFY ROW_NUMBER() OVER (PARTITION BY stream ORDER BY started_at DESC, sync_id DESC) = 1"
        ") l LEFT JOIN ("
        f"  SELECT stream, cursor_after FROM {table_ref(settings)} WHERE status = 'succeeded'"
        "   QUALIFY ROW_NUMBER() OVER (PARTITION BY stream ORDER BY finished_at DESC, sync_id DESC) = 1"
        ") s USING (stream) ORDER BY l.stream"
    )
    return [dict(row.items()) for row in bq.query(sql).result()]
