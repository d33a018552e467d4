"""The raw tables in BigQuery: created, widened and staged exactly like Airbyte's BigQuery destination.

Layout of every raw table: ``_airbyte_raw_id STRING NOT NULL, _airbyte_extracted_at TIMESTAMP NOT
NULL, _airbyte_meta JSON NOT NULL, _airbyte_generation_id INT64``, then the source columns in
source order (columns added later are appended). Partitioned by day on ``_airbyte_extracted_at``,
clustered on the primary key; both are set on the table resource through the API (the emulator
drops them from DDL but keeps them as metadata).

Each sync loads its Parquet file into a staging table ``_el_staging_<stream>_<sync>_<random>`` in
the raw dataset; the MERGE (see merge.py) moves it into the raw table and the staging table is
dropped. Staging tables left behind by a killed sync expire after a day and are also removed by
the next sync of the stream.

A source column whose type changes is handled by what the change does to its raw type. A
**widening** one (see ``WIDENING``: BigQuery's own ``ALTER COLUMN ... SET DATA TYPE`` coercions, e.g.
integer -> numeric) is applied to the raw column in place and recorded; a change that keeps the raw
type (int4 -> int8, varchar(n) -> text, numeric precision up) needs nothing. Anything else (numeric
-> integer, text -> integer, timestamp -> timestamptz, ...) could lose or reinterpret values: the
stream's sync stops with ``IncompatibleTypeChange`` and a full refresh, after a human checked the
values, rebuilds the table with the new types.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from marketplace_elt.el.catalog import Stream
from marketplace_elt.el.columns import Column
from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery

log = logging.getLogger(__name__)

AIRBYTE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("_airbyte_raw_id", "STRING", "REQUIRED"),
    ("_airbyte_extracted_at", "TIMESTAMP", "REQUIRED"),
    ("_airbyte_meta", "JSON", "REQUIRED"),
    ("_airbyte_generation_id", "INT64", "NULLABLE"),
)
# Airbyte's CDC column: when the source deleted the row. Only streams declared `deletes: hard`
# have it; the loader sets it (el/deletes.py) instead of removing the row, like Airbyte's CDC mode.
CDC_DELETED_AT = "_ab_cdc_deleted_at"
AIRBYTE_COLUMN_NAMES = frozenset([*(name for name, _, _ in AIRBYTE_COLUMNS), CDC_DELETED_AT])
STAGING_PREFIX = "_el_staging_"
STALE_STAGING_AGE = timedelta(hours=6)

# The emulator keeps table metadata and storage apart: `tables.patch` widens only the metadata,
# `ALTER TABLE ADD COLUMN` / `ALTER COLUMN SET DATA TYPE` only the storage. DDL spelling of types
# for the storage side.
_EMULATOR_DDL_TYPES = {"NUMERIC": "NUMERIC(38, 9)"}

# Raw type changes applied in place: BigQuery's `ALTER COLUMN SET DATA TYPE` coercions that keep
# every value (INT64 beyond 2^53 loses digits in FLOAT64, as BigQuery itself accepts).
WIDENING: frozenset[tuple[str, str]] = frozenset(
    {("INT64", "NUMERIC"), ("INT64", "BIGNUMERIC"), ("INT64", "FLOAT64"), ("NUMERIC", "BIGNUMERIC")}
)
# Legacy spellings the API returns for some types.
_LEGACY_TYPES = {"INTEGER": "INT64", "FLOAT": "FLOAT64", "BOOLEAN": "BOOL"}


class IncompatibleTypeChange(UserError):
    """A source column changed to a raw type the old values cannot be widened into.

    Retrying cannot help (``retryable``): the stream needs a full refresh once someone has checked
    the values.
    """

    retryable = False


def table_id(settings: Settings, name: str) -> str:
    return f"{settings.bq_project}.{settings.raw_dataset}.{name}"


def quoted(settings: Settings, name: str) -> str:
    return f"`{table_id(settings, name)}`"


@dataclass(frozen=True)
class RawTable:
    """The raw table as this sync found it: its source columns, and what changed since last time."""

    existed: bool
    columns: list[str]  # source columns in the raw table, in table order (includes dropped ones)
    added: list[str]  # source columns new in this sync
    dropped: list[str]  # raw columns no longer in the source (they stay, NULL from now on)
    widened: list[tuple[str, str, str]] = field(default_factory=list)  # (column, old type, new type)
    tracks_deletes: bool = False  # the table has _ab_cdc_deleted_at


def exists(bq: bigquery.Client, settings: Settings, stream: Stream) -> bool:
    from google.api_core.exceptions import NotFound

    try:
        bq.get_table(table_id(settings, stream.name))
    except NotFound:
        return False
    return True


def _schema(stream: Stream, columns: list[Column]) -> list[bigquery.SchemaField]:
    from google.cloud import bigquery

    airbyte = [bigquery.SchemaField(n, t, mode=m) for n, t, m in AIRBYTE_COLUMNS]
    if stream.captures_deletes:
        airbyte.append(bigquery.SchemaField(CDC_DELETED_AT, "TIMESTAMP"))
    return airbyte + [bigquery.SchemaField(c.name, c.bq_type) for c in columns]


def _create(bq: bigquery.Client, settings: Settings, stream: Stream, columns: list[Column]) -> None:
    from google.cloud import bigquery

    table = bigquery.Table(table_id(settings, stream.name), schema=_schema(stream, columns))
    table.time_partitioning = bigquery.TimePartitioning(
        type_=bigquery.TimePartitioningType.DAY, field="_airbyte_extracted_at"
    )
    table.clustering_fields = list(stream.primary_key[:4])
    table.description = f"Raw copy of source table {stream.name} ({stream.sync_mode}), written by extract-load."
    bq.create_table(table)


def _ddl_type(settings: Settings, bq_type: str) -> str:
    return _EMULATOR_DDL_TYPES.get(bq_type, bq_type) if settings.bq_emulator else bq_type


def add_columns(bq: bigquery.Client, settings: Settings, name: str, fields: list[bigquery.SchemaField]) -> None:
    """Append nullable columns to a table of the raw dataset (metadata, and storage on the emulator)."""
    table = bq.get_table(table_id(settings, name))
    table.schema = [*table.schema, *fields]
    bq.update_table(table, ["schema"])
    if settings.bq_emulator:
        ddl = "; ".join(
            f"ALTER TABLE {quoted(settings, name)} ADD COLUMN IF NOT EXISTS `{f.name}` "
            f"{_ddl_type(settings, f.field_type)}"
            for f in fields
        )
        bq.query(ddl).result()


def _widen(bq: bigquery.Client, settings: Settings, stream: Stream, new: list[Column]) -> None:
    from google.cloud import bigquery

    add_columns(bq, settings, stream.name, [bigquery.SchemaField(c.name, c.bq_type) for c in new])


def _retype(bq: bigquery.Client, settings: Settings, stream: Stream, changes: list[tuple[str, str, str]]) -> None:
    """Widen raw columns in place: one `ALTER TABLE`, which keeps every row, partitioning and clustering.

    On BigQuery the statement changes the schema too; the emulator changes only the stored values
    with it, so its table metadata is patched afterwards (rerunning both is harmless).
    """
    from google.cloud import bigquery

    ddl = f"ALTER TABLE {quoted(settings, stream.name)} " + ", ".join(
        f"ALTER COLUMN `{name}` SET DATA TYPE {_ddl_type(settings, new)}" for name, _, new in changes
    )
    bq.query(ddl).result()
    if settings.bq_emulator:
        new_types = {name: new for name, _, new in changes}
        table = bq.get_table(table_id(settings, stream.name))
        table.schema = [
            bigquery.SchemaField(f.name, new_types[f.name], mode=f.mode, description=f.description)
            if f.name in new_types
            else f
            for f in table.schema
        ]
        bq.update_table(table, ["schema"])


def _incompatible(stream: Stream, column: Column, raw_type: str) -> IncompatibleTypeChange:
    narrowing = (column.bq_type, raw_type) in WIDENING
    kind = "a narrowing change" if narrowing else "an incompatible change"
    return IncompatibleTypeChange(
        f"{stream.name}.{column.name} changed {raw_type} → {column.bq_type} (source type {column.pg_type}) at the "
        f"source; {kind} is not applied automatically: run `marketplace-elt el sync --stream {stream.name} "
        "--full-refresh` after checking the values"
    )


def _created(stream: Stream, columns: list[Column]) -> RawTable:
    """The RawTable of a table this sync has just created."""
    return RawTable(
        existed=False,
        columns=[c.name for c in columns],
        added=[],
        dropped=[],
        tracks_deletes=stream.captures_deletes,
    )


def prepare_raw_table(
    bq: bigquery.Client, settings: Settings, stream: Stream, columns: list[Column], replacing: bool
) -> RawTable:
    """Create the raw table, or widen it with the columns and types the source changed since the last sync.

    A column whose raw type changed is widened in place when ``WIDENING`` allows it. Any other type
    change stops the stream with IncompatibleTypeChange (before anything is altered), unless this is
    a full refresh (``replacing``), which rebuilds the table with the new types.
    """
    from google.api_core.exceptions import NotFound
    from google.cloud import bigquery

    try:
        existing = bq.get_table(table_id(settings, stream.name))
    except NotFound:
        _create(bq, settings, stream, columns)
        log.info("%s: created raw table %s", stream.name, table_id(settings, stream.name))
        return _created(stream, columns)

    raw_types = {
        f.name: _LEGACY_TYPES.get(f.field_type, f.field_type)
        for f in existing.schema
        if f.name not in AIRBYTE_COLUMN_NAMES
    }
    changed = [c for c in columns if c.name in raw_types and raw_types[c.name] != c.bq_type]
    incompatible = [c for c in changed if (raw_types[c.name], c.bq_type) not in WIDENING]
    if incompatible and replacing:
        log.warning("%s: column types changed (%s); recreating the raw table", stream.name, incompatible[0].name)
        bq.delete_table(table_id(settings, stream.name))
        _create(bq, settings, stream, columns)
        return _created(stream, columns)
    if incompatible:
        raise _incompatible(stream, incompatible[0], raw_types[incompatible[0].name])
    widened = [(c.name, raw_types[c.name], c.bq_type) for c in changed]
    if widened:
        _retype(bq, settings, stream, widened)
        log.warning(
            "%s: source widened %s; raw columns altered in place",
            stream.name,
            ", ".join(f"{name} ({old} → {new})" for name, old, new in widened),
        )

    new = [c for c in columns if c.name not in raw_types]
    if new:
        _widen(bq, settings, stream, new)
        log.info("%s: source added column(s) %s; raw table widened", stream.name, ", ".join(c.name for c in new))
    tracks_deletes = any(f.name == CDC_DELETED_AT for f in existing.schema)
    if stream.captures_deletes and not tracks_deletes:
        add_columns(bq, settings, stream.name, [bigquery.SchemaField(CDC_DELETED_AT, "TIMESTAMP")])
        log.info("%s: raw table now records hard deletes (%s)", stream.name, CDC_DELETED_AT)
        tracks_deletes = True
    source_names = {c.name for c in columns}
    dropped = [name for name in raw_types if name not in source_names]
    return RawTable(
        existed=True,
        columns=[*raw_types, *(c.name for c in new)],
        added=[c.name for c in new],
        dropped=dropped,
        widened=widened,
        tracks_deletes=tracks_deletes,
    )


def current_generation(bq: bigquery.Client, settings: Settings, stream: Stream) -> int | None:
    """Highest ``_airbyte_generation_id`` in the raw table (None when it is empty)."""
    rows = list(bq.query(f"SELECT MAX(_airbyte_generation_id) AS g FROM {quoted(settings, stream.name)}").result())
    value = rows[0][0] if rows else None
    return int(value) if value is not None else None


def load_staging(
    bq: bigquery.Client, settings: Settings, stream: Stream, sync_id: int, columns: list[Column], parquet: Path | None
) -> str:
    """Create this sync's staging table and load the Parquet file into it; returns the table name."""
    from google.cloud import bigquery

    name = f"{STAGING_PREFIX}{stream.name}_{sync_id}_{secrets.token_hex(3)}"
    schema = [bigquery.SchemaField(c.name, c.staging_type) for c in columns]
    table = bigquery.Table(table_id(settings, name), schema=schema)
    table.expires = datetime.now(UTC) + timedelta(days=1)
    bq.create_table(table)
    if parquet is not None:
        config = bigquery.LoadJobConfig(
            source_format=bigquery.SourceFormat.PARQUET,
            schema=schema,
            write_disposition=bigquery.WriteDisposition.WRITE_APPEND,
        )
        with open(parquet, "rb") as fh:
            bq.load_table_from_file(fh, table_id(settings, name), job_config=config).result()
    return name


def drop_staging(bq: bigquery.Client, settings: Settings, name: str) -> None:
    bq.delete_table(table_id(settings, name), not_found_ok=True)


def drop_stale_staging(bq: bigquery.Client, settings: Settings, stream: Stream) -> None:
    """Remove staging tables of this stream that a killed sync left behind (older than a few hours)."""
    prefix = f"{STAGING_PREFIX}{stream.name}_"
    cutoff = datetime.now(UTC) - STALE_STAGING_AGE
    for item in bq.list_tables(f"{settings.bq_project}.{settings.raw_dataset}"):
        if not item.table_id.startswith(prefix):
            continue
        rest = item.table_id[len(prefix) :]
        if not rest[:1].isdigit():
            continue  # another stream whose name starts with this one's (e.g. orders / orders_archive)
        created = item.created or bq.get_table(item.reference).created
        if created is None or created < cutoff:
            bq.delete_table(item.reference, not_found_ok=True)
