"""The bronze tables of the landing zone, in the raw dataset (``settings.raw_dataset``).

* ``<stream>`` (e.g. ``raw.provider_transactions``) — one row per accepted line: the audit columns
  ``_load_id``, ``_ingested_at``, ``_source_file``, ``_row_number`` (line in the file, header = 1),
  ``_row_hash`` (sha256 of the line as delivered), ``_extra_columns`` (JSON of undeclared columns,
  NULL when none), ``_superseded_at`` (set when a re-delivery of the file replaced this row's load;
  NULL = current), then every declared column as STRING, in declaration order. Partitioned by day
  on ``_ingested_at``, clustered on the key.
* ``landing_rejects`` — one row per rejected line: stream, source file, row number, raw line, reason.
* ``landing_manifest`` — one row per load of a file (see manifest.py).

Rows are never deleted: a re-delivery marks the previous load's rows ``_superseded_at``, so the
history of every delivery stays queryable and dbt staging reads ``WHERE _superseded_at IS NULL``.

Each load stages its rows in ``_landing_staging_<stream>_<random>`` tables (load jobs of Parquet
files), which the commit copies in one transaction and which are dropped afterwards; a load killed
in between leaves them behind, and the next load removes those older than a few hours.
"""

from __future__ import annotations

import io
import secrets
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from marketplace_elt.el.raw_tables import add_columns, table_id
from marketplace_elt.landing.contract import MANIFEST_TABLE, REJECTS_TABLE, FileStream
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa
    from google.cloud import bigquery

STAGING_PREFIX = "_landing_staging_"
STALE_STAGING_AGE = timedelta(hours=6)
SUPERSEDED_AT = "_superseded_at"

# (name, BigQuery type, mode) of the audit columns that precede the declared ones
AUDIT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("_load_id", "STRING", "REQUIRED"),
    ("_ingested_at", "TIMESTAMP", "REQUIRED"),
    ("_source_file", "STRING", "REQUIRED"),
    ("_row_number", "INT64", "REQUIRED"),
    ("_row_hash", "STRING", "REQUIRED"),
    ("_extra_columns", "STRING", "NULLABLE"),
    (SUPERSEDED_AT, "TIMESTAMP", "NULLABLE"),
)

REJECT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("_load_id", "STRING", "REQUIRED"),
    ("_ingested_at", "TIMESTAMP", "REQUIRED"),
    ("stream", "STRING", "REQUIRED"),
    ("source_file", "STRING", "REQUIRED"),
    ("row_number", "INT64", "REQUIRED"),
    ("raw_line", "STRING", "NULLABLE"),
    ("reason", "STRING", "REQUIRED"),
    ("_row_hash", "STRING", "NULLABLE"),
    (SUPERSEDED_AT, "TIMESTAMP", "NULLABLE"),
)

MANIFEST_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("load_id", "STRING", "REQUIRED"),
    ("stream", "STRING", "REQUIRED"),
    ("file_name", "STRING", "REQUIRED"),
    ("file_date", "DATE", "NULLABLE"),
    ("content_sha256", "STRING", "REQUIRED"),
    ("size_bytes", "INT64", "REQUIRED"),
    ("file_modified_at", "TIMESTAMP", "NULLABLE"),
    ("lines", "INT64", "REQUIRED"),
    ("accepted", "INT64", "REQUIRED"),
    ("rejected", "INT64", "REQUIRED"),
    ("status", "STRING", "REQUIRED"),  # loaded | rejected (the whole file)
    ("reason", "STRING", "NULLABLE"),  # why the whole file was rejected
    ("reject_reasons", "STRING", "NULLABLE"),  # JSON {reason: lines}
    ("schema_drift", "STRING", "NULLABLE"),  # JSON {extra_columns, missing_columns, reordered}
    ("loaded_at", "TIMESTAMP", "REQUIRED"),
    ("superseded_by", "STRING", "NULLABLE"),  # load_id of the re-delivery that replaced this load
    ("superseded_at", "TIMESTAMP", "NULLABLE"),
)


def quoted(settings: Settings, name: str) -> str:
    return f"`{table_id(settings, name)}`"


def stream_columns(stream: FileStream) -> list[tuple[str, str, str]]:
    """Every column of the stream's raw table: the audit columns, then the declared ones."""
    return [*AUDIT_COLUMNS, *((c.name, "STRING", "NULLABLE") for c in stream.columns)]


def _fields(columns: list[tuple[str, str, str]] | tuple[tuple[str, str, str], ...]) -> list[bigquery.SchemaField]:
    from google.cloud import bigquery

    return [bigquery.SchemaField(n, t, mode=m) for n, t, m in columns]


def _ensure(
    bq: bigquery.Client,
    settings: Settings,
    name: str,
    columns: list[tuple[str, str, str]] | tuple[tuple[str, str, str], ...],
    description: str,
    partition: str | None = None,
    cluster: list[str] | None = None,
) -> None:
    """Create the table, or append the columns it lacks (a column declared since the last load)."""
    from google.cloud import bigquery

    table = bigquery.Table(table_id(settings, name), schema=_fields(columns))
    table.description = description
    if partition:
        table.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY, field=partition)
    if cluster:
        table.clustering_fields = cluster[:4]
    existing = bq.create_table(table, exists_ok=True)
    have = {f.name for f in existing.schema}
    missing = [bigquery.SchemaField(n, t) for n, t, _ in columns if n not in have]
    if missing:
        add_columns(bq, settings, name, missing)


def ensure_tables(bq: bigquery.Client, settings: Settings, streams: list[FileStream]) -> None:
    _ensure(
        bq,
        settings,
        MANIFEST_TABLE,
        MANIFEST_COLUMNS,
        "One row per load of a payment-provider file; superseded_at is set when a re-delivery replaced it.",
        cluster=["stream", "file_name"],
    )
    _ensure(
        bq,
        settings,
        REJECTS_TABLE,
        REJECT_COLUMNS,
        "Lines of payment-provider files the landing loader rejected, with the reason.",
        partition="_ingested_at",
        cluster=["stream", "source_file"],
    )
    for stream in streams:
        _ensure(
            bq,
            settings,
            stream.table,
            stream_columns(stream),
            f"Bronze copy of the provider's {stream.file_pattern} files, every value as delivered "
            f"(STRING); current rows have {SUPERSEDED_AT} NULL.",
            partition="_ingested_at",
            cluster=list(stream.key),
        )


def stage(
    bq: bigquery.Client,
    settings: Settings,
    stream: FileStream,
    kind: str,
    table: pa.Table,
    columns: list[tuple[str, str, str]],
) -> tuple[str, int]:
    """Load ``table`` (Arrow) into a new staging table with a Parquet load job; (name, rows loaded)."""
    import pyarrow.parquet as pq
    from google.cloud import bigquery

    name = f"{STAGING_PREFIX}{stream.name}_{kind}_{secrets.token_hex(4)}"
    schema = [bigquery.SchemaField(n, t) for n, t, _ in columns]
    staging = bigquery.Table(table_id(settings, name), schema=schema)
    staging.expires = datetime.now(UTC) + timedelta(days=1)
    bq.create_table(staging)
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    buffer.seek(0)
    config = bigquery.LoadJobConfig(
        source_format=bigquery.SourceFormat.PARQUET,
        schema=schema,
        write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
    )
    job = bq.load_table_from_file(buffer, table_id(settings, name), job_config=config)
    job.result()
    return name, int(job.output_rows or 0)


def drop(bq: bigquery.Client, settings: Settings, name: str) -> None:
    bq.delete_table(table_id(settings, name), not_found_ok=True)


def drop_stale_staging(bq: bigquery.Client, settings: Settings) -> int:
    """Remove staging tables a killed load left behind (older than a few hours); returns how many."""
    cutoff = datetime.now(UTC) - STALE_STAGING_AGE
    dropped = 0
    for item in bq.list_tables(f"{settings.bq_project}.{settings.raw_dataset}"):
        if not item.table_id.startswith(STAGING_PREFIX):
            continue
        created = item.created or bq.get_table(item.reference).created
        if created is None or created < cutoff:
            bq.delete_table(item.reference, not_found_ok=True)
            dropped += 1
    return dropped


def literal(value: Any) -> str:
    """A BigQuery SQL literal (strings backslash-escaped, as BigQuery and the emulator both read them).

    The commit is a multi-statement script, into which the emulator passes no query parameters.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.astimezone(UTC).isoformat()}'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    text = str(value).replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\r", "\\r")
    return f"'{text}'"
