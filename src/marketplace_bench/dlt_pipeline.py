"""The peer benchmark, run by the interpreter of a separate virtualenv that has dlt installed.

Loads one PostgreSQL table with dlt's `sql_database` source in its default configuration (the
SQLAlchemy backend, default chunk size) into dlt's duckdb destination, replacing what was there,
and prints one JSON line: rows, seconds (whole `pipeline.run`: extract, normalize, load), the
seconds of each step and the dlt version. Never imported by the platform itself.

    <dlt venv>/bin/python dlt_pipeline.py POSTGRES_URL TABLE WORKDIR
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def main(url: str, table: str, workdir: str) -> dict[str, Any]:
    import dlt
    from dlt.sources.sql_database import sql_table

    pipeline = dlt.pipeline(
        pipeline_name="bench_peer",
        destination=dlt.destinations.duckdb(f"{workdir}/bench_peer.duckdb"),
        dataset_name="marketplace",
        pipelines_dir=f"{workdir}/pipelines",
    )
    source = sql_table(credentials=url, table=table)
    started = time.perf_counter()
    pipeline.run(source, write_disposition="replace")
    seconds = time.perf_counter() - started
    trace = pipeline.last_trace
    steps = {
        step.step: (step.finished_at - step.started_at).total_seconds()
        for step in trace.steps
        if step.started_at and step.finished_at
    }
    counts = trace.last_normalize_info.row_counts if trace.last_normalize_info else {}
    return {
        "rows": int(counts.get(table, 0)),
        "seconds": seconds,
        "steps": steps,
        "dlt_version": dlt.__version__,
        "backend": "sqlalchemy (default)",
        "destination": "duckdb",
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:4])), flush=True)
