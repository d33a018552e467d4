"""Exports of published marts for readers outside BigQuery (finance's reconciliation file).

An export reads the published mart (never the audit build) and is named by the run that published
it (`marts_publish_log`), so exporting the same published version twice writes the same file: the
file is written beside its final name and renamed into place, and a crash leaves no partial file.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings


@dataclass(frozen=True)
class ExportResult:
    table: str
    publish_run_id: str
    rows: int
    path: Path

    def line(self) -> str:
        return f"exported {self.rows} rows of {self.table} (published by run {self.publish_run_id}) to {self.path}"


def exports_dir(settings: Settings) -> Path:
    return settings.home / "exports"


def _cell(value: Any) -> str:
    """CSV text of a BigQuery value: empty for NULL, ISO 8601 for times, JSON for arrays and structs."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=str)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.+" else "_" for c in name)


def export_published(settings: Settings, table: str) -> ExportResult:
    """Write the published ``table`` to `<MELT_HOME>/exports/<table>/<publish run id>.csv`."""
    from marketplace_elt.bigquery import client
    from marketplace_elt.publish.marts import PUBLISH_LOG, MartsPublisher

    publisher = MartsPublisher(settings, client(settings))
    entry = publisher.last_entry()
    if entry is None or (entry.action == "publish" and entry.state != "done"):
        raise UserError(f"no finished publish in {settings.marts_dataset}.{PUBLISH_LOG}: run the pipeline first")
    if table not in publisher.tables(settings.marts_dataset):
        raise UserError(f"{settings.marts_dataset}.{table} is not published; publish the marts first")
    result = publisher.bq.query(f"SELECT * FROM `{settings.bq_project}.{settings.marts_dataset}.{table}`").result()
    target = exports_dir(settings) / table / f"{_safe(entry.run_id)}.csv"
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".csv.partial")
    rows = 0
    with partial.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow([field.name for field in result.schema])
        for row in result:
            writer.writerow([_cell(v) for v in row.values()])
            rows += 1
    os.replace(partial, target)
    return ExportResult(table, entry.run_id, rows, target)
