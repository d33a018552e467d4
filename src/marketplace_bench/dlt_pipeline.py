"""The peer benchmark, run by the interpreter of a separate virtualenv that has dlt installed.

Loads one PostgreSQL table with dlt's `sql_database` source into dlt's duckdb destination,
replacing what was there, in one of these configurations:

* ``defaults`` — the SQLAlchemy backend (rows as Python dicts, normalized to JSON lines), default
  chunk size: what `sql_table(credentials, table)` does out of the box;
* ``pyarrow`` — ``backend="pyarrow"``: rows read through SQLAlchemy, batched into Arrow tables and
  written as Parquet, which dlt's normalize step passes through and duckdb loads natively;
* ``connectorx`` — ``backend="connectorx"``: ConnectorX reads the query straight into Arrow (Rust,
  PostgreSQL's binary protocol), then the same Parquet path as ``pyarrow``.

Prints one JSON line: rows, seconds (whole `pipeline.run`: extract, normalize, load), the seconds of
each step, the dlt version and the configuration. Never imported by the platform itself.

    <dlt venv>/bin/python dlt_pipeline.py POSTGRES_URL TABLE WORKDIR [CONFIGURATION]
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

BACKENDS = {"defaults": None, "pyarrow": "pyarrow", "connectorx": "connectorx"}


def main(url: str, table: str, workdir: str, configuration: str = "defaults") -> dict[str, Any]:
    import dlt
    from dlt.sources.sql_database import sql_table

    if configuration not in BACKENDS:
        raise SystemExit(f"unknown configuration {configuration!r}; choose from {', '.join(BACKENDS)}")
    backend = BACKENDS[configuration]
    pipeline = dlt.pipeline(
        pipeline_name=f"bench_peer_{configuration}",
        destination=dlt.destinations.duckdb(f"{workdir}/bench_peer.duckdb"),
        dataset_name="marketplace",
        pipelines_dir=f"{workdir}/pipelines",
    )
    options: dict[str, Any] = {} if backend is None else {"backend": backend}
    source = sql_table(credentials=url, table=table, **options)
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
        "configuration": configuration,
        "backend": backend or "sqlalchemy (default)",
        "destination": "duckdb",
    }


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:5])), flush=True)
