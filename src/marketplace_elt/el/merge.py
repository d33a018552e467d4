"""The one statement that moves a sync's staging table into its raw table, per sync mode.

The rule for a key raw already holds: **the latest extraction of a row supersedes the earlier one
when its content differs**, whatever its cursor. A sync reads the source's current state in one
snapshot, so a staged row is never older than the raw row of its key; comparing cursors (Airbyte's
dedup: greatest cursor first) would lose a row whose cursor moves backwards, e.g. an ``updated_at``
written in the future and later corrected to an earlier time. ``_airbyte_extracted_at`` is the
tie-break Airbyte also uses: a staged row never replaces a raw row extracted later.

* incremental_deduped_history — one row per primary key: a staged row replaces the raw row when
  its content differs (an identical re-read changes nothing, so a rerun with no source change
  writes nothing);
* incremental_append — insert staged rows whose primary key raw does not hold yet (re-reads of
  equal cursors and of the look-back window never duplicate); a re-read row whose content changed
  at the source (e.g. a payment whose status became 'refunded' within the look-back) replaces its
  raw row the same way;
* replace (full refresh) — one transaction deletes raw's rows and inserts every staged row with a
  new ``_airbyte_generation_id``. (``MERGE ... ON FALSE ... WHEN NOT MATCHED BY SOURCE THEN
  DELETE`` would be one statement, but the emulator runs it as a nested loop: minutes for 300k rows.)

Every written row gets a fresh ``_airbyte_raw_id``, this sync's ``_airbyte_extracted_at`` and
``_airbyte_meta`` (``{"sync_id": ..., "changes": [...]}``). Columns the source dropped are
written as NULL, and so is ``_ab_cdc_deleted_at`` of a key the source deleted and wrote again.
The SQL is valid on BigQuery and on the emulator. Values are inlined as literals because the
emulator does not pass query parameters into multi-statement scripts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from marketplace_elt.el.catalog import Stream
from marketplace_elt.el.columns import Column
from marketplace_elt.el.raw_tables import CDC_DELETED_AT, RawTable, quoted
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery


@dataclass(frozen=True)
class MergePlan:
    stream: Stream
    columns: list[Column]  # staged source columns
    raw: RawTable
    staging: str
    replace: bool
    sync_id: int
    extracted_at: datetime
    generation: int
    changes: list[dict[str, str]]

    @property
    def meta(self) -> str:
        return json.dumps({"sync_id": self.sync_id, "changes": self.changes}, separators=(",", ":"))


def _string_literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"


def _airbyte_values(plan: MergePlan) -> tuple[str, str, str, str]:
    """Literals of _airbyte_raw_id, _airbyte_extracted_at, _airbyte_meta, _airbyte_generation_id."""
    extracted_at = plan.extracted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")
    return (
        "GENERATE_UUID()",
        f"TIMESTAMP '{extracted_at}'",
        f"PARSE_JSON({_string_literal(plan.meta)})",
        str(int(plan.generation)),
    )


def _ident(name: str) -> str:
    return f"`{name}`"


def _staged_value(column: Column) -> str:
    ref = f"S.{_ident(column.name)}"
    return f"PARSE_JSON({ref}, wide_number_mode => 'round')" if column.bq_type == "JSON" else ref


def _comparable(column: Column, alias: str) -> str:
    """An expression equal for equal values on both sides (JSON has no equality operator)."""
    if column.bq_type == "JSON":
        side = _staged_value(column) if alias == "S" else f"T.{_ident(column.name)}"
        return f"TO_JSON_STRING({side})"
    return f"{alias}.{_ident(column.name)}"


def build_merge(settings: Settings, plan: MergePlan) -> str:
    stream = plan.stream
    staged = {c.name: c for c in plan.columns}
    dropped = [name for name in plan.raw.dropped if name not in staged]
    target = quoted(settings, stream.name)
    source = quoted(settings, plan.staging)

    airbyte = _airbyte_values(plan)
    insert_cols = ["_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id"]
    insert_cols += [_ident(c.name) for c in plan.columns]
    insert_vals = [*airbyte, *(_staged_value(c) for c in plan.columns)]

    if plan.replace:
        return (
            "BEGIN TRANSACTION;\n"
            f"DELETE FROM {target} WHERE TRUE;\n"
            f"INSERT INTO {target} ({', '.join(insert_cols)})\n"
            f"SELECT {', '.join(insert_vals)} FROM {source} S;\n"
            "COMMIT TRANSACTION;"
        )

    insert = f"INSERT ({', '.join(insert_cols)}) VALUES ({', '.join(insert_vals)})"

    on = " AND ".join(f"T.{_ident(k)} = S.{_ident(k)}" for k in stream.primary_key)
    keys = set(stream.primary_key)
    differs = [
        f"{_comparable(c, 'S')} IS DISTINCT FROM {_comparable(c, 'T')}" for c in plan.columns if c.name not in keys
    ]
    differs += [f"T.{_ident(name)} IS NOT NULL" for name in dropped]
    if plan.raw.tracks_deletes:  # a key the source deleted and then wrote again lives again
        differs.append(f"T.{CDC_DELETED_AT} IS NOT NULL")
    if not differs:  # only key columns: nothing can change
        return f"MERGE {target} T USING {source} S ON {on}\nWHEN NOT MATCHED THEN {insert}"
    # the latest extraction wins when the content differs; never over a row extracted later
    superseded = f"T._airbyte_extracted_at <= {airbyte[1]} AND ({' OR '.join(differs)})"
    updates = [
        f"_airbyte_raw_id = {airbyte[0]}",
        f"_airbyte_extracted_at = {airbyte[1]}",
        f"_airbyte_meta = {airbyte[2]}",
        f"_airbyte_generation_id = {airbyte[3]}",
    ]
    updates += [f"{_ident(c.name)} = {_staged_value(c)}" for c in plan.columns if c.name not in keys]
    updates += [f"{_ident(name)} = NULL" for name in dropped]
    if plan.raw.tracks_deletes:
        updates.append(f"{CDC_DELETED_AT} = NULL")
    return (
        f"MERGE {target} T USING {source} S ON {on}\n"
        f"WHEN MATCHED AND ({superseded}) THEN UPDATE SET {', '.join(updates)}\n"
        f"WHEN NOT MATCHED THEN {insert}"
    )


def run_merge(bq: bigquery.Client, settings: Settings, plan: MergePlan, staged_rows: int) -> int:
    """Run the statement; returns the rows written (inserted or updated) into the raw table."""
    job = bq.query(build_merge(settings, plan))
    job.result()
    if plan.replace:
        return staged_rows  # every staged row is inserted (a script reports no affected-row count)
    return int(job.num_dml_affected_rows or 0)
