"""The bronze load: provider files in ``LANDING_DIR`` -> raw tables, exactly once per file content.

For every provider file in the landing directory (files.py) whose content is not the current load
of its name in ``raw.landing_manifest`` (manifest.py):

1. read it once, hash it (sha256 of the bytes), and split it into accepted rows and rejected lines
   with PyArrow's CSV reader, every column as a string (parse.py: header check against the
   declaration, one reason per rejected line; lines = accepted + rejected is checked);
2. stage the accepted rows and the rejects in two tables with Parquet load jobs, and check the
   load jobs wrote as many rows as were parsed;
3. commit in one transaction: supersede the file's previous load (a re-delivery), copy the staged
   rows into ``raw.<stream>`` and ``raw.landing_rejects``, add the manifest row;
4. drop the staging tables.

A load killed before step 3 leaves raw and the manifest as they were (and staging tables, removed
by a later load); the rerun loads the file from the start. A file whose content is the current
load is skipped, so rerunning loads nothing new. Files are loaded one at a time, by day and
stream; the first failure stops the load (the files before it are committed). One loader at a
time: the DAG runs it as a single task, as does `marketplace-elt landing load`.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from marketplace_elt.bigquery import client, require_reachable
from marketplace_elt.landing import files as landing_files
from marketplace_elt.landing import manifest, tables
from marketplace_elt.landing.contract import FileStream, LandingContract, load_contract
from marketplace_elt.landing.files import FileContent, LandingFile
from marketplace_elt.landing.manifest import ManifestEntry
from marketplace_elt.landing.parse import EXTRA_COLUMNS, ROW_HASH, ROW_NUMBER, LandingInvariantError, ParsedFile, parse
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    import pyarrow as pa
    from google.cloud import bigquery

log = logging.getLogger(__name__)

Action = Literal["loaded", "redelivered", "unchanged"]


@dataclass(frozen=True)
class FileLoad:
    """What one load did with one file: the file's current manifest entry afterwards, and whether
    this load wrote it (``loaded``: first delivery, ``redelivered``: replaced ``previous``) or found
    it already loaded (``unchanged``)."""

    action: Action
    entry: ManifestEntry
    previous: ManifestEntry | None = None

    @property
    def wrote(self) -> bool:
        return self.action != "unchanged"


def _rows_table(parsed: ParsedFile, load_id: str, at: datetime, file_name: str) -> pa.Table:
    import pyarrow as pa

    n = parsed.accepted
    columns: dict[str, pa.Array] = {
        "_load_id": pa.array([load_id] * n, pa.string()),
        "_ingested_at": pa.array([at] * n, pa.timestamp("us", tz="UTC")),
        "_source_file": pa.array([file_name] * n, pa.string()),
        "_row_number": pa.array(parsed.rows[ROW_NUMBER], pa.int64()),
        "_row_hash": pa.array(parsed.rows[ROW_HASH], pa.string()),
        "_extra_columns": pa.array(parsed.rows[EXTRA_COLUMNS], pa.string()),
    }
    for name in parsed.stream.column_names:
        columns[name] = pa.array(parsed.rows[name], pa.string())
    return pa.table(columns)


def _rejects_table(parsed: ParsedFile, load_id: str, at: datetime, file_name: str) -> pa.Table:
    import pyarrow as pa

    n = parsed.rejected
    return pa.table(
        {
            "_load_id": pa.array([load_id] * n, pa.string()),
            "_ingested_at": pa.array([at] * n, pa.timestamp("us", tz="UTC")),
            "stream": pa.array([parsed.stream.name] * n, pa.string()),
            "source_file": pa.array([file_name] * n, pa.string()),
            "row_number": pa.array([r.row_number for r in parsed.rejects], pa.int64()),
            "raw_line": pa.array([r.raw_line for r in parsed.rejects], pa.string()),
            "reason": pa.array([r.reason for r in parsed.rejects], pa.string()),
            "_row_hash": pa.array([r.row_hash for r in parsed.rejects], pa.string()),
        }
    )


def _commit(bq: bigquery.Client, sql: str) -> None:
    """Run the load's transaction (one script: all of it happens, or none)."""
    bq.query(sql).result()


def _describe(parsed: ParsedFile) -> str:
    reasons = ", ".join(f"{reason} {count}" for reason, count in parsed.reject_reasons.items())
    text = f"{parsed.lines} lines, {parsed.accepted} accepted, {parsed.rejected} rejected"
    if reasons:
        text += f" ({reasons})"
    if parsed.file_reason:
        text += f"; whole file rejected: {parsed.file_reason}"
    if parsed.schema_drift and not parsed.file_reason:
        text += f"; schema drift {parsed.schema_drift}"
    return text


def load_file(
    bq: bigquery.Client, settings: Settings, content: FileContent, previous: ManifestEntry | None
) -> ManifestEntry:
    """Parse, stage and commit one file (see the module doc); returns its new manifest entry."""
    file, stream = content.file, content.file.stream
    parsed = parse(content.data, stream, valid_name=file.day is not None)
    parsed.check(f"{stream.name}: {file.name}")
    load_id, at = uuid.uuid4().hex, datetime.now(UTC)
    staged: list[str] = []
    try:
        rows_table = rejects_table = None
        if parsed.accepted:
            rows_columns = [c for c in tables.stream_columns(stream) if c[0] != tables.SUPERSEDED_AT]
            rows_table, written = tables.stage(
                bq, settings, stream, "rows", _rows_table(parsed, load_id, at, file.name), rows_columns
            )
            staged.append(rows_table)
            if written != parsed.accepted:
                raise LandingInvariantError(
                    f"{file.name}: staged {written} rows of {parsed.accepted}; nothing committed"
                )
        if parsed.rejected:
            reject_columns = [c for c in tables.REJECT_COLUMNS if c[0] != tables.SUPERSEDED_AT]
            rejects_table, written = tables.stage(
                bq, settings, stream, "rejects", _rejects_table(parsed, load_id, at, file.name), reject_columns
            )
            staged.append(rejects_table)
            if written != parsed.rejected:
                raise LandingInvariantError(
                    f"{file.name}: staged {written} rejects of {parsed.rejected}; nothing committed"
                )
        entry = ManifestEntry(
            load_id=load_id,
            stream=stream.name,
            file_name=file.name,
            file_date=file.day,
            content_sha256=content.sha256,
            size_bytes=content.size,
            file_modified_at=content.modified_at,
            lines=parsed.lines,
            accepted=parsed.accepted,
            rejected=parsed.rejected,
            status="rejected" if parsed.file_reason else "loaded",
            reason=parsed.file_reason,
            reject_reasons=parsed.reject_reasons,
            schema_drift=parsed.schema_drift,
            loaded_at=at,
        )
        _commit(bq, manifest.commit_sql(settings, stream, entry, previous, rows_table, rejects_table))
    finally:
        for name in staged:
            tables.drop(bq, settings, name)
    what = f"re-delivery, supersedes load {previous.load_id[:8]}" if previous else "new"
    log.info("%s: %s (%s): %s", stream.name, file.name, what, _describe(parsed))
    return entry


def _candidates(settings: Settings, contract: LandingContract, streams: list[str] | None) -> list[LandingFile]:
    landing_files.require_dir(settings.landing_dir)
    return landing_files.list_files(settings.landing_dir, contract, contract.select(streams))


def load(settings: Settings, streams: list[str] | None = None) -> list[FileLoad]:
    """Load every provider file not loaded yet (or re-delivered with new content); see the module doc."""
    contract = load_contract()
    candidates = _candidates(settings, contract, streams)
    bq = client(settings)
    require_reachable(settings, bq, create_dataset=settings.raw_dataset)
    selected: list[FileStream] = contract.select(streams)
    tables.ensure_tables(bq, settings, selected)
    if dropped := tables.drop_stale_staging(bq, settings):
        log.info("removed %d staging table(s) left by an interrupted load", dropped)
    loaded = manifest.current(bq, settings)
    log.info("%d provider file(s) in %s", len(candidates), settings.landing_dir)
    results: list[FileLoad] = []
    for file in candidates:
        content = landing_files.read(file)
        previous = loaded.get((file.stream.name, file.name))
        if previous is not None and previous.content_sha256 == content.sha256:
            log.debug("%s: %s already loaded (load %s), skipped", file.stream.name, file.name, previous.load_id[:8])
            results.append(FileLoad("unchanged", previous))
            continue
        entry = load_file(bq, settings, content, previous)
        loaded[(file.stream.name, file.name)] = entry
        results.append(FileLoad("redelivered" if previous else "loaded", entry, previous))
    wrote = sum(r.wrote for r in results)
    log.info("%d file(s) loaded, %d already loaded and skipped", wrote, len(results) - wrote)
    return results


@dataclass(frozen=True)
class PendingFile:
    """A file in the landing directory that the next load would load."""

    file: LandingFile
    redelivery: bool


def pending(settings: Settings, current: dict[tuple[str, str], ManifestEntry]) -> list[PendingFile]:
    """Files whose content is not their name's current load (new files and re-deliveries)."""
    contract = load_contract()
    out = []
    for file in _candidates(settings, contract, None):
        previous = current.get((file.stream.name, file.name))
        if previous is None or previous.content_sha256 != landing_files.read(file).sha256:
            out.append(PendingFile(file, redelivery=previous is not None))
    return out
