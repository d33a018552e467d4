"""`raw.landing_manifest`: one row per load of a provider file, and the loader's only state.

A file is *loaded* when the manifest has a current row (``superseded_at`` NULL) for its stream
and name with its content's sha256. That row is written by the same transaction that writes the
file's rows and rejects, so a load killed at any point leaves either everything or nothing: a file
missing from the manifest has no rows in raw, and the next load takes it from the start.

A re-delivery is a file whose name has a current row with another sha256 (the provider replaced
the file with a corrected version). Its load, in one transaction, marks the previous load
superseded (``superseded_by`` = the new load_id, ``superseded_at``), marks that load's rows and
rejects ``_superseded_at``, and adds the new load's rows. The manifest thus keeps every delivery of
every file; exactly one per file name is current.

``status`` is ``loaded`` (rows went to the stream's table) or ``rejected`` (the whole file was
refused, ``reason`` says why, and every line is in ``landing_rejects``). Either way the file is
done: it is loaded again only if its content changes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from marketplace_elt.landing.contract import MANIFEST_TABLE, REJECTS_TABLE, FileStream
from marketplace_elt.landing.tables import (
    MANIFEST_COLUMNS,
    REJECT_COLUMNS,
    SUPERSEDED_AT,
    literal,
    quoted,
    stream_columns,
)
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery


@dataclass(frozen=True)
class ManifestEntry:
    """One load of one file: exactly the manifest row."""

    load_id: str
    stream: str
    file_name: str
    file_date: date | None
    content_sha256: str
    size_bytes: int
    file_modified_at: datetime | None
    lines: int
    accepted: int
    rejected: int
    status: str
    reason: str | None
    reject_reasons: dict[str, int]
    schema_drift: dict[str, Any] | None
    loaded_at: datetime
    superseded_by: str | None = None
    superseded_at: datetime | None = None

    @property
    def current(self) -> bool:
        return self.superseded_at is None

    def values(self) -> dict[str, Any]:
        """The row's values as BigQuery stores them (JSON columns as text)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["reject_reasons"] = json.dumps(self.reject_reasons, sort_keys=True) if self.reject_reasons else None
        out["schema_drift"] = json.dumps(self.schema_drift, sort_keys=True) if self.schema_drift else None
        return out

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> ManifestEntry:
        values: dict[str, Any] = {n: row.get(n) for n, _, _ in MANIFEST_COLUMNS}
        values["reject_reasons"] = json.loads(values["reject_reasons"]) if values["reject_reasons"] else {}
        values["schema_drift"] = json.loads(values["schema_drift"]) if values["schema_drift"] else None
        return cls(**values)


def entries(bq: bigquery.Client, settings: Settings, *, history: bool = True) -> list[ManifestEntry]:
    """Manifest rows (only the current one per file unless ``history``), by file date, stream, load."""
    from google.api_core.exceptions import NotFound

    where = "" if history else "WHERE superseded_at IS NULL "
    sql = f"SELECT * FROM {quoted(settings, MANIFEST_TABLE)} {where}ORDER BY file_date, stream, file_name, loaded_at"
    try:
        return [ManifestEntry.from_row(dict(row.items())) for row in bq.query(sql).result()]
    except NotFound:  # nothing was ever loaded
        return []


def current(bq: bigquery.Client, settings: Settings) -> dict[tuple[str, str], ManifestEntry]:
    """The current load of every file ever loaded, by (stream, file name)."""
    return {(e.stream, e.file_name): e for e in entries(bq, settings, history=False)}


def commit_sql(
    settings: Settings,
    stream: FileStream,
    entry: ManifestEntry,
    previous: ManifestEntry | None,
    rows_table: str | None,
    rejects_table: str | None,
) -> str:
    """The one transaction that makes a load visible: supersede the previous load of the file (if
    any), copy the staged rows and rejects, and add the manifest row."""
    statements = ["BEGIN TRANSACTION"]
    ts, name = literal(entry.loaded_at), literal(entry.file_name)
    if previous is not None:
        statements += [
            f"UPDATE {quoted(settings, stream.table)} SET {SUPERSEDED_AT} = {ts} "
            f"WHERE _source_file = {name} AND {SUPERSEDED_AT} IS NULL",
            f"UPDATE {quoted(settings, REJECTS_TABLE)} SET {SUPERSEDED_AT} = {ts} "
            f"WHERE stream = {literal(stream.name)} AND source_file = {name} AND {SUPERSEDED_AT} IS NULL",
            f"UPDATE {quoted(settings, MANIFEST_TABLE)} SET superseded_by = {literal(entry.load_id)}, "
            f"superseded_at = {ts} WHERE stream = {literal(stream.name)} AND file_name = {name} "
            "AND superseded_at IS NULL",
        ]
    if rows_table is not None:
        columns = ", ".join(f"`{n}`" for n, _, _ in stream_columns(stream) if n != SUPERSEDED_AT)
        statements.append(
            f"INSERT INTO {quoted(settings, stream.table)} ({columns}) "
            f"SELECT {columns} FROM {quoted(settings, rows_table)}"
        )
    if rejects_table is not None:
        columns = ", ".join(f"`{n}`" for n, _, _ in REJECT_COLUMNS if n != SUPERSEDED_AT)
        statements.append(
            f"INSERT INTO {quoted(settings, REJECTS_TABLE)} ({columns}) "
            f"SELECT {columns} FROM {quoted(settings, rejects_table)}"
        )
    values = entry.values()
    names = [n for n, _, _ in MANIFEST_COLUMNS]
    statements.append(
        f"INSERT INTO {quoted(settings, MANIFEST_TABLE)} ({', '.join(names)}) "
        f"VALUES ({', '.join(literal(values[n]) for n in names)})"
    )
    statements.append("COMMIT TRANSACTION")
    return ";\n".join(statements) + ";"
