"""`marketplace-elt el benchmark`: the loader's full-sync speed against a plain COPY of the same rows.

For each stream: time `COPY (SELECT * FROM t) TO STDOUT` read by psycopg and thrown away (the
practical extraction limit); the loader's extraction alone (COPY -> Arrow -> Parquet file); and a
full sync of the stream into a scratch dataset ``<raw>_bench`` (created and dropped here; raw and
its state are untouched). ``ratio`` = full-sync rows/s : COPY rows/s (target >= 0.5).
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from psycopg import sql

from marketplace_elt.bigquery import client
from marketplace_elt.el.catalog import load_catalog
from marketplace_elt.el.extract import connect_source, extract
from marketplace_elt.el.loader import sync
from marketplace_elt.settings import Settings


@dataclass(frozen=True)
class BenchResult:
    stream: str
    rows: int
    copy_s: float
    extract_s: float
    sync_s: float

    @property
    def ratio(self) -> float:
        return self.copy_s / self.sync_s if self.sync_s > 0 else 0.0


def plain_copy_seconds(settings: Settings, schema: str, table: str) -> tuple[int, float]:
    with connect_source(settings) as conn:
        started = time.perf_counter()
        rows = 0
        query = sql.SQL("COPY (SELECT * FROM {}.{}) TO STDOUT (FORMAT csv)").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        with conn.cursor().copy(query) as copy:
            for _ in copy:
                rows += 1
        return rows, time.perf_counter() - started


def run(settings: Settings, streams: list[str] | None = None) -> list[BenchResult]:
    catalog = load_catalog()
    scratch = dataclasses.replace(settings, raw_dataset=f"{settings.raw_dataset}_bench")
    bq = client(scratch)
    dataset = f"{scratch.bq_project}.{scratch.raw_dataset}"
    bq.delete_dataset(dataset, delete_contents=True, not_found_ok=True)
    results = []
    workdir = settings.home / "el" / "benchmark"
    try:
        for stream in catalog.select(streams):
            rows, copy_s = plain_copy_seconds(settings, catalog.source_schema, stream.name)
            with connect_source(settings) as conn:
                extracted = extract(conn, catalog.source_schema, stream, None, workdir)
            extracted.path.unlink(missing_ok=True)
            started = time.perf_counter()
            sync(scratch, [stream.name], full_refresh=True)
            sync_s = time.perf_counter() - started
            results.append(BenchResult(stream.name, rows, copy_s, extracted.seconds, sync_s))
    finally:
        bq.delete_dataset(dataset, delete_contents=True, not_found_ok=True)
    return results
