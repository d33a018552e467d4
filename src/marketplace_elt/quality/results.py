"""What a gate found, and where it is kept: a JSON file per layer and run, and rows in BigQuery.

* ``MELT_HOME/gx/results/<run_id>/<layer>.json`` -- the whole :class:`GateResult`;
* ``<marts dataset>.quality_gate_results`` -- one row per expectation (history, dashboards). Rows
  of a (run_id, layer) are replaced when the gate is rerun, so retries never double-count.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marketplace_elt.settings import Settings

RESULTS_TABLE = "quality_gate_results"

RESULTS_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("run_id", "STRING", "REQUIRED"),
    ("layer", "STRING", "REQUIRED"),
    ("table", "STRING", "NULLABLE"),
    ("expectation", "STRING", "REQUIRED"),
    ("description", "STRING", "NULLABLE"),
    ("success", "BOOL", "REQUIRED"),
    ("observed", "STRING", "NULLABLE"),
    ("observed_value", "FLOAT64", "NULLABLE"),
    ("threshold", "STRING", "NULLABLE"),
    ("checked_at", "TIMESTAMP", "REQUIRED"),
)


@dataclass(frozen=True)
class CheckOutcome:
    """The verdict on one expectation, in the words the log, the JSON file and BigQuery share."""

    layer: str
    table: str
    expectation: str  # check name, unique within the table (e.g. ``unique:order_id``)
    description: str  # what the observed value counts
    success: bool
    observed: str  # observed value in words, with offending samples or the error
    observed_value: float | None
    threshold: str  # accepted band, e.g. ``<= 0``

    @property
    def line(self) -> str:
        verdict = "PASS" if self.success else "FAIL"
        return (
            f"{verdict} {self.layer} {self.table}: {self.description} -- "
            f"observed {self.observed}, expected {self.threshold}"
        )


@dataclass
class GateResult:
    """Outcome of one gate run. ``success`` is True only when every expectation passed."""

    layer: str
    run_id: str
    success: bool
    results: list[CheckOutcome]
    checked_at: datetime
    result_file: Path | None = None
    data_docs: Path | None = None  # GX index.html of the site that shows this result
    docs_page: str | None = None  # this run's GX validation page, relative to the site directory
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return [r.line for r in self.results]

    @property
    def failures(self) -> list[CheckOutcome]:
        return [r for r in self.results if not r.success]

    def summary(self) -> str:
        total, failed = len(self.results), len(self.failures)
        verdict = "passed" if self.success else "FAILED"
        return f"quality gate {self.layer} {verdict}: {total - failed}/{total} expectations met (run {self.run_id})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "run_id": self.run_id,
            "success": self.success,
            "checked_at": self.checked_at.isoformat(),
            "summary": self.summary(),
            "results": [asdict(r) for r in self.results],
            "data_docs": str(self.data_docs) if self.data_docs else None,
            "docs_page": self.docs_page,
            **self.extra,
        }

    def raise_if_failed(self) -> None:
        if not self.success:
            raise GateFailed(self)


class GateFailed(Exception):
    """A quality gate found data breaking its rules; the message lists every failing expectation."""

    def __init__(self, result: GateResult) -> None:
        self.result = result
        lines = [f"  {r.line}" for r in result.failures]
        hint = f"details: {result.result_file}" if result.result_file else ""
        # The first line is what alerts carry: it names the failing checks, the lines below give values.
        failing = ", ".join(f"{r.table}: {r.description}" for r in result.failures[:3])
        more = f" and {len(result.failures) - 3} more" if len(result.failures) > 3 else ""
        first = f"{result.summary()}; failing: {failing}{more}" if failing else result.summary()
        super().__init__("\n".join([first, *lines, *([hint] if hint else [])]))


def safe_run_id(run_id: str) -> str:
    """``run_id`` as a directory name (Airflow run ids carry ``:`` and ``+``)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", run_id).strip("._") or "run"


def result_path(settings: Settings, run_id: str, layer: str) -> Path:
    return settings.home / "gx" / "results" / safe_run_id(run_id) / f"{layer}.json"


def write_file(settings: Settings, result: GateResult) -> Path:
    path = result_path(settings, result.run_id, result.layer)
    path.parent.mkdir(parents=True, exist_ok=True)
    result.result_file = path
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result.to_dict(), indent=2, default=str) + "\n")
    tmp.replace(path)
    return path


def write_bigquery(settings: Settings, result: GateResult, bq: Any) -> str:
    """Replace this (run_id, layer)'s rows in ``<marts>.quality_gate_results``; returns the table id."""
    from google.cloud import bigquery as bqlib

    table_id = f"{settings.bq_project}.{settings.marts_dataset}.{RESULTS_TABLE}"
    schema = [bqlib.SchemaField(name, kind, mode=mode) for name, kind, mode in RESULTS_SCHEMA]
    bq.create_table(bqlib.Table(table_id, schema=schema), exists_ok=True)
    bq.query(
        f"DELETE FROM `{table_id}` WHERE run_id = @run_id AND layer = @layer",
        job_config=bqlib.QueryJobConfig(
            query_parameters=[
                bqlib.ScalarQueryParameter("run_id", "STRING", result.run_id),
                bqlib.ScalarQueryParameter("layer", "STRING", result.layer),
            ]
        ),
    ).result()
    checked_at = result.checked_at.astimezone(UTC).isoformat()
    rows = [
        {
            "run_id": result.run_id,
            "layer": r.layer,
            "table": r.table,
            "expectation": r.expectation,
            "description": r.description,
            "success": r.success,
            "observed": r.observed,
            "observed_value": r.observed_value,
            "threshold": r.threshold,
            "checked_at": checked_at,
        }
        for r in result.results
    ]
    if rows:
        payload = "".join(json.dumps(row) + "\n" for row in rows).encode()
        job = bq.load_table_from_file(
            io.BytesIO(payload),
            table_id,
            job_config=bqlib.LoadJobConfig(
                source_format=bqlib.SourceFormat.NEWLINE_DELIMITED_JSON,
                write_disposition=bqlib.WriteDisposition.WRITE_APPEND,
                schema=schema,
            ),
        )
        job.result()
    return table_id


def now() -> datetime:
    return datetime.now(UTC)
