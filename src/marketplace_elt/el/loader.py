"""The embedded loader: writes exactly what Airbyte's Postgres -> BigQuery connection writes.

Built on psycopg COPY + BigQuery load jobs rather than dlt: on this hardware dlt tops out near
180k rows/s while COPY streams ~660k rows/s, and the loader must keep at least half of COPY speed.

Per stream: COPY the new rows (extract.py) -> Parquet -> load into a staging table -> one MERGE
into the raw table (merge.py) -> drop the staging table -> for streams declared ``deletes: hard``,
mark the rows the source deleted (deletes.py) -> append the el_sync_log row whose cursor_after
becomes the stream's state (sync_log.py). A crash anywhere before the log row
leaves the old state, and the rerun's MERGE absorbs whatever the crashed run already wrote.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from marketplace_elt.bigquery import client, require_reachable
from marketplace_elt.el import cdc, deletes, raw_tables, sync_log
from marketplace_elt.el.catalog import Catalog, Stream, load_catalog
from marketplace_elt.el.extract import connect_source, extract, parse_cursor
from marketplace_elt.el.merge import MergePlan, run_merge
from marketplace_elt.el.sync_log import SyncFailed, SyncResult
from marketplace_elt.errors import ConfigError, ServiceError
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery

log = logging.getLogger("marketplace_elt.el")


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "-"


def _newer(a: str | None, b: str | None, parse: object) -> str | None:
    """The greater of two saved cursors (compared as the cursor column's type)."""
    if a is None or b is None:
        return a if b is None else b
    pa_, pb = parse(a), parse(b)  # type: ignore[operator]
    return a if pa_ >= pb else b


def _changes(raw: raw_tables.RawTable) -> list[dict[str, str]]:
    """``_airbyte_meta.changes`` for this sync's rows: columns added at the source in this sync,
    columns the source no longer has (written as NULL, Airbyte's ``NULLED``), and columns whose
    type the source widened (``WIDENED``, with the raw types before and after)."""
    reason = "SOURCE_SCHEMA_CHANGE"
    added = [{"field": c, "change": "ADDED", "reason": reason} for c in raw.added]
    nulled = [{"field": c, "change": "NULLED", "reason": reason} for c in raw.dropped]
    widened = [
        {"field": c, "change": "WIDENED", "reason": reason, "from_type": old, "to_type": new}
        for c, old, new in raw.widened
    ]
    return added + nulled + widened


def _schema_changes(raw: raw_tables.RawTable | None) -> str | None:
    """The el_sync_log record of what this sync changed in the raw schema (NULL: nothing).

    Columns added or widened are logged by the sync that changed the raw table. A dropped column is
    not: every later sync finds it missing again, and the rows it writes record it as NULLED."""
    if raw is None:
        return None
    changes = [c for c in _changes(raw) if c["change"] != "NULLED"]
    return json.dumps(changes, separators=(",", ":")) if changes else None


def _uses_cdc(settings: Settings, stream: Stream) -> bool:
    return stream.captures_deletes and settings.delete_capture == "cdc"


def _peek(settings: Settings, catalog: Catalog, stream: Stream) -> tuple[bool, cdc.Changes]:
    """CDC mode: create the stream's slot if needed; (slot created now, the changes it holds)."""
    with connect_source(settings) as conn:
        created = cdc.ensure_capture(conn, catalog.source_schema, stream.name, stream.name)
        return created, cdc.peek_changes(conn, stream.name, catalog.source_schema, stream.name, stream.primary_key)


def _capture_deletes(
    settings: Settings,
    bq: bigquery.Client,
    catalog: Catalog,
    stream: Stream,
    sync_id: int,
    at: datetime,
    workdir: Path,
    changes: tuple[bool, cdc.Changes] | None,
) -> int:
    """Mark the raw rows the source deleted (``deletes: hard`` streams); returns how many.

    CDC mode marks the keys the slot reports; a slot created by this sync knows nothing of what was
    deleted before it existed, so that first sync reconciles the keys once instead."""
    if changes is not None and not changes[0]:
        return deletes.mark_keys(bq, settings, stream, changes[1].deleted, sync_id, at)
    with connect_source(settings) as conn:
        return deletes.reconcile(conn, bq, settings, catalog.source_schema, stream, sync_id, at, workdir)


def _advance(settings: Settings, stream: Stream, changes: cdc.Changes) -> None:
    """Confirm the applied changes to the slot; if that fails the next sync applies them again (harmless)."""
    if changes.last_lsn is None:
        return
    try:
        with connect_source(settings) as conn:
            cdc.advance(conn, stream.name, changes.last_lsn)
    except Exception as exc:
        log.warning("%s: could not advance the CDC slot (%s); the next sync re-applies its changes", stream.name, exc)


def _sync_stream(
    settings: Settings,
    bq: bigquery.Client,
    catalog: Catalog,
    stream: Stream,
    sync_id: int,
    cursor_before: str | None,
    full_refresh: bool,
    workdir: Path,
) -> SyncResult:
    started_at = datetime.now(UTC)
    t0 = time.perf_counter()
    replace = full_refresh or not stream.incremental
    mode = "full_refresh_overwrite" if replace else stream.sync_mode  # what this sync did
    read = written = deleted = 0
    cursor_after = None if replace else cursor_before
    staging: str | None = None
    raw: raw_tables.RawTable | None = None
    changes: tuple[bool, cdc.Changes] | None = None  # CDC mode: (slot created now, peeked changes)
    retryable = True
    try:
        if not replace and cursor_before is not None and not raw_tables.exists(bq, settings, stream):
            # Saved state but no raw table (dropped by hand, new dataset): reading from the cursor
            # would leave out every older row, so read the whole table instead.
            log.warning("%s: raw table is missing; reading the whole source table", stream.name)
            cursor_before = cursor_after = None
        if _uses_cdc(settings, stream):
            # peeked before the snapshot is read: a change after the peek is in the rows read now
            # and is peeked again next time (re-reading a key is idempotent)
            changes = _peek(settings, catalog, stream)
            log.info(
                "%s: CDC slot holds %s change(s): %s upserted, %s deleted key(s)",
                stream.name,
                changes[1].changes,
                len(changes[1].upserted),
                len(changes[1].deleted),
            )
        with connect_source(settings) as conn:
            extracted = extract(
                conn,
                catalog.source_schema,
                stream,
                None if replace else cursor_before,
                workdir,
                keys=sorted(changes[1].upserted, key=str) if changes else (),
            )
        read = extracted.rows
        log.info(
            "%s: read %s rows in %.1fs (%s)",
            stream.name,
            f"{read:,}",
            extracted.seconds,
            _rate(read, extracted.seconds),
        )
        if stream.cursor_field and extracted.cursor_max is not None:
            cursor_col = next(c for c in extracted.columns if c.name == stream.cursor_field)
            cursor_after = _newer(cursor_after, extracted.cursor_max, lambda v: parse_cursor(v, cursor_col))

        raw = raw_tables.prepare_raw_table(bq, settings, stream, extracted.columns, replacing=replace)
        raw_tables.drop_stale_staging(bq, settings, stream)
        if read or (replace and raw.existed):
            current = raw_tables.current_generation(bq, settings, stream) if raw.existed else None
            # A full refresh starts a new generation; incremental syncs keep the current one.
            generation = (0 if current is None else current + 1) if replace else (current or 0)
            t1 = time.perf_counter()
            log.info("%s: loading %s rows into %s", stream.name, f"{read:,}", settings.raw_dataset)
            staging = raw_tables.load_staging(
                bq, settings, stream, sync_id, extracted.columns, extracted.path if read else None
            )
            plan = MergePlan(
                stream=stream,
                columns=extracted.columns,
                raw=raw,
                staging=staging,
                replace=replace,
                sync_id=sync_id,
                extracted_at=started_at,
                generation=generation,
                changes=_changes(raw),
            )
            written = run_merge(bq, settings, plan, read)
            raw_tables.drop_staging(bq, settings, staging)
            staging = None
            load_s = time.perf_counter() - t1
            log.info(
                "%s: loaded and merged in %.1fs (%s), %s rows written",
                stream.name,
                load_s,
                _rate(read, load_s),
                f"{written:,}",
            )
        if stream.captures_deletes and not replace and raw.existed:
            deleted = _capture_deletes(settings, bq, catalog, stream, sync_id, started_at, workdir, changes)
        status, error = "succeeded", None
    except Exception as exc:
        if isinstance(exc, ServiceError):
            raise  # a service is down: every stream would fail the same way
        log.error("%s: sync failed: %s", stream.name, exc, exc_info=log.isEnabledFor(logging.DEBUG))
        retryable = bool(getattr(exc, "retryable", not isinstance(exc, ConfigError)))
        # A failure a rerun cannot fix is its own one-line instruction; others keep their exception type.
        status, error = "failed", (f"{type(exc).__name__}: {exc}" if retryable else str(exc))[:2000]
        cursor_after = cursor_before
        if staging is not None:
            try:
                raw_tables.drop_staging(bq, settings, staging)
            except Exception:
                log.debug("could not drop staging table %s", staging, exc_info=True)
    finally:
        (workdir / f"{stream.name}.parquet").unlink(missing_ok=True)

    finished_at = datetime.now(UTC)
    result = SyncResult(
        sync_id=sync_id,
        stream=stream.name,
        sync_mode=mode,
        rows_read=read,
        rows_written=written,
        cursor_before=None if replace else cursor_before,
        cursor_after=cursor_after,
        started_at=started_at,
        finished_at=finished_at,
        duration_s=round(time.perf_counter() - t0, 3),
        status=status,
        error=error,
        schema_changes=_schema_changes(raw) if status == "succeeded" else None,
        rows_deleted=deleted,
        retryable=retryable,
    )
    sync_log.append(bq, settings, result)
    if changes is not None and result.succeeded:
        _advance(settings, stream, changes[1])
    log.info(
        "%s: %s — %s read, %s written, %s deleted in %.1fs (%s)",
        stream.name,
        status,
        f"{read:,}",
        f"{written:,}",
        f"{deleted:,}",
        result.duration_s,
        _rate(read, result.duration_s),
    )
    return result


def sync(
    settings: Settings,
    streams: list[str] | None = None,
    full_refresh: bool = False,
    *,
    sync_id: int | None = None,
    parallel: int = 1,
) -> list[SyncResult]:
    """Sync the named streams (all catalog streams by default) from the source into raw.

    ``full_refresh`` re-reads the streams completely and replaces their raw contents (a new
    ``_airbyte_generation_id``). ``sync_id`` lets a caller (the DAG) give every stream task of
    one run the same id; by default it is the last id in el_sync_log plus one. ``parallel`` syncs
    that many streams at once. Returns one SyncResult per stream; raises SyncFailed (after the
    other streams ran) when a stream failed, and ServiceError at once when a service is down.
    """
    catalog = load_catalog()
    selected = catalog.select(streams)
    connect_source(settings).close()  # unreachable source: one clear line, before any work
    bq = client(settings)
    require_reachable(settings, bq, create_dataset=settings.raw_dataset)
    sync_log.ensure_table(bq, settings)
    state = sync_log.saved_cursors(bq, settings)
    sid = sync_id if sync_id is not None else sync_log.next_sync_id(bq, settings)
    # Private to this process: the DAG runs one sync per stream at once, often with the same sync id.
    (settings.home / "el").mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f"sync-{sid}-", dir=settings.home / "el"))
    log.info("sync %s: %d stream(s)%s", sid, len(selected), " (full refresh)" if full_refresh else "")

    started = time.perf_counter()
    try:
        if parallel > 1 and len(selected) > 1:
            with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="el") as pool:
                futures = [
                    pool.submit(_sync_stream, settings, bq, catalog, s, sid, state.get(s.name), full_refresh, workdir)
                    for s in selected
                ]
                results = [f.result() for f in futures]
        else:
            results = [
                _sync_stream(settings, bq, catalog, s, sid, state.get(s.name), full_refresh, workdir) for s in selected
            ]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    total_rows = sum(r.rows_read for r in results)
    elapsed = time.perf_counter() - started
    log.info("sync %s: %s rows read in %.1fs (%s)", sid, f"{total_rows:,}", elapsed, _rate(total_rows, elapsed))
    failed = [r for r in results if not r.succeeded]
    if failed:
        names = ", ".join(r.stream for r in failed)
        if any(r.retryable for r in failed):
            advice = "; fix the cause and rerun `marketplace-elt el sync` (state only advances on success)"
        else:  # the error is its own instruction
            advice = "; the other streams were synced" if len(failed) < len(results) else ""
        message = f"{len(failed)} of {len(results)} streams failed ({names}: {failed[0].error}){advice}"
        raise SyncFailed(message, results)
    return results
