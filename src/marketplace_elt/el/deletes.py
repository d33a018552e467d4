"""Hard deletes at the source, recorded in raw the way Airbyte's CDC mode records them.

A cursor-based sync only sees rows that exist: a row the source deletes stays in raw for ever,
and a deleted payment keeps counting as captured money. For streams declared ``deletes: hard`` in
the catalog the loader therefore marks such rows with ``_ab_cdc_deleted_at`` (the column Airbyte's
CDC mode writes) instead of removing them, and staging leaves them out. The row also gets this
sync's ``_airbyte_extracted_at``, so incremental marts see the order it belonged to as changed.

Two ways to find the deleted keys (setting ``DELETE_CAPTURE``):

* ``reconcile`` (default, any PostgreSQL): after each incremental sync, the source's keys are
  compared with raw's live keys. First by fingerprint: the count of keys and two sums of 32-bit
  slices of each key's MD5, one aggregate query on each side (about 0.1 s each at 100k keys);
  equal fingerprints mean the key sets are equal (a different set with the same count and both
  sums is a 1 in 2^64 coincidence), so there is nothing to mark and no key is moved. Only when they
  differ is a key-only ``COPY (SELECT key::text ...)`` of the source table loaded into a scratch
  table beside raw and every live raw row whose key is missing from it marked. One narrow column
  per key: at 100k payments this is about 4 MB through COPY and one load job.
* ``cdc`` (the source runs with ``wal_level=logical``): the stream's logical replication slot
  (el/cdc.py) gives the keys of rows deleted since the last sync, and only those are marked.

Either way the marking is one MERGE keyed on the primary key; rerunning it marks nothing twice
(rows already marked are left as they are).
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from psycopg import sql

from marketplace_elt.el.catalog import Stream
from marketplace_elt.el.raw_tables import CDC_DELETED_AT, STAGING_PREFIX, quoted, table_id
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    import psycopg
    from google.cloud import bigquery

log = logging.getLogger(__name__)

KEY_BATCH_ROWS = 200_000
KEYS_PER_STATEMENT = 5_000  # keys inlined in one statement (CDC mode)


def source_keys(conn: psycopg.Connection[Any], schema: str, stream: Stream, path: Path) -> int:
    """Write the source table's primary keys (as text) to a Parquet file; returns how many."""
    names = list(stream.primary_key)
    query = sql.SQL("COPY (SELECT {} FROM {}.{}) TO STDOUT").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(n)) for n in names),
        sql.Identifier(schema),
        sql.Identifier(stream.name),
    )
    arrow_schema = pa.schema([pa.field(n, pa.string()) for n in names])
    total = 0
    with pq.ParquetWriter(path, arrow_schema) as writer, conn.transaction(), conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        with cur.copy(query) as copy:
            batch: list[tuple[Any, ...]] = []
            for row in copy.rows():
                batch.append(row)
                if len(batch) >= KEY_BATCH_ROWS:
                    writer.write_table(_arrow(batch, arrow_schema))
                    total += len(batch)
                    batch = []
            if batch:
                writer.write_table(_arrow(batch, arrow_schema))
                total += len(batch)
    return total


def _arrow(rows: list[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays([pa.array(c, pa.string()) for c in columns], schema=schema)


def _key_table(bq: bigquery.Client, settings: Settings, stream: Stream, sync_id: int, parquet: Path | None) -> str:
    """Load the keys into a scratch table of the raw dataset (expires in a day; the loader drops it);
    ``parquet`` None: the source table is empty."""
    from google.cloud import bigquery

    # named like a staging table, so drop_stale_staging removes one a killed sync left behind
    name = f"{STAGING_PREFIX}{stream.name}_{sync_id}_keys_{secrets.token_hex(3)}"
    schema = [bigquery.SchemaField(n, "STRING") for n in stream.primary_key]
    table = bigquery.Table(table_id(settings, name), schema=schema)
    table.expires = datetime.now(UTC) + timedelta(days=1)
    bq.create_table(table)
    if parquet is not None:
        config = bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.PARQUET, schema=schema)
        with open(parquet, "rb") as fh:
            bq.load_table_from_file(fh, table_id(settings, name), job_config=config).result()
    return name


def _mark(settings: Settings, stream: Stream, deleted_rows: str, sync_id: int, at: datetime) -> str:
    """The MERGE that marks the raw rows ``deleted_rows`` (a SELECT of raw's key columns) selects."""
    ts = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    meta = json.dumps({"sync_id": sync_id, "changes": []}, separators=(",", ":")).replace("'", "\\'")
    on = " AND ".join(f"T.`{k}` = D.`{k}`" for k in stream.primary_key)
    return (
        f"MERGE {quoted(settings, stream.name)} T USING ({deleted_rows}) D ON {on}\n"
        f"WHEN MATCHED AND T.{CDC_DELETED_AT} IS NULL THEN UPDATE SET "
        f"{CDC_DELETED_AT} = TIMESTAMP '{ts}', _airbyte_extracted_at = TIMESTAMP '{ts}', "
        f"_airbyte_raw_id = GENERATE_UUID(), _airbyte_meta = PARSE_JSON('{meta}')"
    )


def mark_missing(
    bq: bigquery.Client, settings: Settings, stream: Stream, key_table: str, sync_id: int, at: datetime
) -> int:
    """Mark every live raw row whose key is not in ``key_table``; returns how many were marked."""
    keys = ", ".join(f"r.`{k}`" for k in stream.primary_key)
    join = " AND ".join(f"CAST(r.`{k}` AS STRING) = s.`{k}`" for k in stream.primary_key)
    deleted_rows = (
        f"SELECT DISTINCT {keys} FROM {quoted(settings, stream.name)} r "
        f"LEFT JOIN {quoted(settings, key_table)} s ON {join} "
        f"WHERE r.{CDC_DELETED_AT} IS NULL AND s.`{stream.primary_key[0]}` IS NULL"
    )
    job = bq.query(_mark(settings, stream, deleted_rows, sync_id, at))
    job.result()
    return int(job.num_dml_affected_rows or 0)


def _literal(value: str | None) -> str:
    if value is None:
        return "NULL"
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def mark_keys(
    bq: bigquery.Client,
    settings: Settings,
    stream: Stream,
    keys: Iterable[tuple[str | None, ...]],
    sync_id: int,
    at: datetime,
) -> int:
    """Mark the raw rows of the given keys (text form, e.g. from CDC); returns how many were marked."""
    wanted = sorted(keys, key=lambda k: tuple(v or "" for v in k))
    marked = 0
    for start in range(0, len(wanted), KEYS_PER_STATEMENT):
        chunk = wanted[start : start + KEYS_PER_STATEMENT]
        listed = " UNION ALL ".join(
            "SELECT " + ", ".join(f"{_literal(v)} AS `{k}`" for k, v in zip(stream.primary_key, key, strict=True))
            for key in chunk
        )
        join = " AND ".join(f"CAST(r.`{k}` AS STRING) = w.`{k}`" for k in stream.primary_key)
        deleted_rows = (
            f"SELECT DISTINCT {', '.join(f'r.`{k}`' for k in stream.primary_key)} "
            f"FROM {quoted(settings, stream.name)} r JOIN ({listed}) w ON {join}"
        )
        job = bq.query(_mark(settings, stream, deleted_rows, sync_id, at))
        job.result()
        marked += int(job.num_dml_affected_rows or 0)
    return marked


Fingerprint = tuple[int, int, int]  # (keys, sum of MD5 bits 0-31, sum of MD5 bits 32-63)


def source_fingerprint(conn: psycopg.Connection[Any], schema: str, stream: Stream) -> Fingerprint:
    """The fingerprint of the source table's primary keys (as text)."""
    key = sql.SQL("concat_ws(chr(31), {})").format(
        sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(n)) for n in stream.primary_key)
    )
    query = sql.SQL(
        "SELECT count(*), coalesce(sum(('x' || substr(md5(k), 1, 8))::bit(32)::bigint), 0), "
        "coalesce(sum(('x' || substr(md5(k), 9, 8))::bit(32)::bigint), 0) FROM (SELECT {} AS k FROM {}.{}) keys"
    ).format(key, sql.Identifier(schema), sql.Identifier(stream.name))
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


def raw_fingerprint(bq: bigquery.Client, settings: Settings, stream: Stream) -> Fingerprint:
    """The fingerprint of the keys raw holds a live (not deleted) row for, as the source computes it."""
    key = ", ".join(f"CAST(`{k}` AS STRING)" for k in stream.primary_key)
    query = (
        "SELECT COUNT(*) AS n, "
        "COALESCE(SUM(CAST(CONCAT('0x', SUBSTR(TO_HEX(MD5(k)), 1, 8)) AS INT64)), 0) AS a, "
        "COALESCE(SUM(CAST(CONCAT('0x', SUBSTR(TO_HEX(MD5(k)), 9, 8)) AS INT64)), 0) AS b "
        f"FROM (SELECT DISTINCT ARRAY_TO_STRING([{key}], '\\x1f') AS k FROM {quoted(settings, stream.name)} "
        f"WHERE {CDC_DELETED_AT} IS NULL)"
    )
    row = next(iter(bq.query(query).result()))
    return int(row["n"]), int(row["a"]), int(row["b"])


def reconcile(
    conn: psycopg.Connection[Any],
    bq: bigquery.Client,
    settings: Settings,
    schema: str,
    stream: Stream,
    sync_id: int,
    at: datetime,
    workdir: Path,
) -> int:
    """Compare the source's keys with raw's and mark the rows the source no longer has."""
    source = source_fingerprint(conn, schema, stream)
    if source == raw_fingerprint(bq, settings, stream):
        log.info(
            "%s: the %s source keys match raw's live keys; no row deleted at the source", stream.name, f"{source[0]:,}"
        )
        return 0
    parquet = workdir / f"{stream.name}.keys.parquet"
    key_table: str | None = None
    try:
        count = source_keys(conn, schema, stream, parquet)
        key_table = _key_table(bq, settings, stream, sync_id, parquet if count else None)
        marked = mark_missing(bq, settings, stream, key_table, sync_id, at)
    finally:
        parquet.unlink(missing_ok=True)
        if key_table is not None:
            bq.delete_table(table_id(settings, key_table), not_found_ok=True)
    log.info("%s: %s source keys compared with raw; %s row(s) deleted at the source", stream.name, f"{count:,}", marked)
    return marked


def reconcile_streams(settings: Settings, sync_id: int = 0) -> dict[str, int]:
    """Reconcile every ``deletes: hard`` stream whose raw table exists; returns rows marked per stream.

    The Airbyte branch runs this after Airbyte's sync: a non-CDC Airbyte connection does not see
    deletes either, and its raw tables get ``_ab_cdc_deleted_at`` here (``sync_id`` is Airbyte's job).
    """
    import tempfile

    from google.cloud import bigquery as bq_types

    from marketplace_elt.bigquery import client
    from marketplace_elt.el.catalog import load_catalog
    from marketplace_elt.el.extract import connect_source
    from marketplace_elt.el.raw_tables import add_columns, exists

    catalog = load_catalog()
    bq = client(settings)
    marked: dict[str, int] = {}
    (settings.home / "el").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.home / "el") as tmp, connect_source(settings) as conn:
        for stream in catalog.streams:
            if not stream.captures_deletes or not exists(bq, settings, stream):
                continue
            schema = bq.get_table(table_id(settings, stream.name)).schema
            if all(f.name != CDC_DELETED_AT for f in schema):
                add_columns(bq, settings, stream.name, [bq_types.SchemaField(CDC_DELETED_AT, "TIMESTAMP")])
            now = datetime.now(UTC)
            marked[stream.name] = reconcile(conn, bq, settings, catalog.source_schema, stream, sync_id, now, Path(tmp))
    return marked
