"""The BigQuery side's limit for the loader's path: a bare Parquet load job of the same rows.

For each stream the table is extracted once, untimed, into the very Parquet file the loader would
write (``marketplace_elt.el.extract.extract``: same columns, types and compression), and that file
is loaded with one ``load_table_from_file`` job into a fresh, empty table created with the
loader's staging schema, in the bench's raw dataset. Only the load job is timed (open the file,
upload, wait for the job): no MERGE, no state row, no table inspection. The fastest of
``repeats`` loads is reported, each into a new table that is dropped right after; together with
the binary COPY (copy_baseline.py) it bounds what any loader built on load jobs can reach here.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from marketplace_elt.bigquery import client
from marketplace_elt.el.catalog import load_catalog
from marketplace_elt.el.columns import Column
from marketplace_elt.el.extract import connect_source, extract
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery

SCRATCH_PREFIX = "_bench_load_ceiling_"


@dataclass(frozen=True)
class LoadResult:
    table: str
    rows: int
    seconds: float  # fastest load job
    parquet_bytes: int
    extract_seconds: float  # the extraction into Parquet (not part of the ceiling), for reference

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "table": self.table,
            "rows": self.rows,
            "seconds": self.seconds,
            "parquet_bytes": self.parquet_bytes,
            "extract_seconds": self.extract_seconds,
        }


def load_once(bq: bigquery.Client, settings: Settings, stream: str, columns: list[Column], parquet: Path) -> float:
    """Load ``parquet`` into a new scratch table with one load job; returns the job's seconds.

    The table is created empty first (as the loader creates its staging table) and dropped after.
    """
    from google.cloud import bigquery as bqlib

    name = f"{settings.bq_project}.{settings.raw_dataset}.{SCRATCH_PREFIX}{stream}_{secrets.token_hex(3)}"
    schema = [bqlib.SchemaField(c.name, c.staging_type) for c in columns]
    table = bqlib.Table(name, schema=schema)
    table.expires = datetime.now(UTC) + timedelta(days=1)  # a killed bench leaves nothing for long
    bq.create_table(table)
    config = bqlib.LoadJobConfig(
        source_format=bqlib.SourceFormat.PARQUET,
        schema=schema,
        write_disposition=bqlib.WriteDisposition.WRITE_APPEND,
    )
    try:
        started = time.perf_counter()
        with open(parquet, "rb") as fh:
            bq.load_table_from_file(fh, name, job_config=config).result()
        return time.perf_counter() - started
    finally:
        bq.delete_table(name, not_found_ok=True)


def load_ceiling(settings: Settings, streams: list[str], repeats: int = 3) -> dict[str, LoadResult]:
    """Fastest of ``repeats`` bare Parquet load jobs per stream (streams without rows are left out)."""
    catalog = load_catalog()
    bq = client(settings)
    (settings.home / "bench").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="load-ceiling-", dir=settings.home / "bench"))
    results: dict[str, LoadResult] = {}
    try:
        for stream in catalog.select(streams):
            with connect_source(settings) as conn:
                extracted = extract(conn, catalog.source_schema, stream, None, workdir)
            try:
                if extracted.rows == 0:
                    continue
                best = min(
                    load_once(bq, settings, stream.name, extracted.columns, extracted.path)
                    for _ in range(max(1, repeats))
                )
                results[stream.name] = LoadResult(
                    table=stream.name,
                    rows=extracted.rows,
                    seconds=best,
                    parquet_bytes=extracted.path.stat().st_size,
                    extract_seconds=extracted.seconds,
                )
            finally:
                extracted.path.unlink(missing_ok=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return results
