"""Drill: the source gains a column and loses another between two runs.

After a clean run (sync + build), ``products`` gets a new column and its ``description`` column is
dropped, and a few products are updated. The next run must continue: the sync widens raw with the
new column and writes NULL into the dropped one, recording both in ``_airbyte_meta.changes``
(Airbyte's ADDED / NULLED with reason SOURCE_SCHEMA_CHANGE); the raw gate passes (it derives the
contract from the live source); the dbt build succeeds; and a staging test that did not warn or fail
on the clean build now does, its failing rows naming the added or dropped column.
"""

from __future__ import annotations

import json
from typing import Any

from marketplace_drills.base import DrillContext
from marketplace_drills.compare import scalar
from marketplace_drills.source_changes import drift_schema
from marketplace_drills.steps import dbt, seed_source, sync

TABLE = "products"
ADDED = "drill_condition_grade"
DROPPED = "description"


def _raw_columns(ctx: DrillContext) -> list[str]:
    from marketplace_elt.bigquery import client

    table = client(ctx.settings).get_table(f"{ctx.settings.bq_project}.{ctx.settings.raw_dataset}.{TABLE}")
    return [f.name for f in table.schema]


def _run_results(ctx: DrillContext) -> list[dict[str, Any]]:
    path = ctx.settings.dbt_target_dir / "run_results.json"
    try:
        results: list[dict[str, Any]] = json.loads(path.read_text()).get("results", [])
    except (OSError, ValueError):
        return []
    return results


def _tests_flagging(ctx: DrillContext) -> set[str]:
    """Tests of the last dbt invocation that warned or failed."""
    return {
        str(r["unique_id"])
        for r in _run_results(ctx)
        if str(r.get("unique_id", "")).startswith("test.") and r.get("status") in ("warn", "fail", "error")
    }


def _test_rows(ctx: DrillContext, unique_id: str) -> list[str]:
    """The failing rows of a test (its compiled SQL rerun), as text: they say what the test found."""
    from marketplace_elt.bigquery import query_rows

    for r in _run_results(ctx):
        if r.get("unique_id") == unique_id and r.get("compiled_code"):
            try:
                rows = query_rows(ctx.settings, f"SELECT * FROM ({r['compiled_code']}) LIMIT 20")
            except Exception as exc:
                return [f"(could not rerun the test: {str(exc).splitlines()[0][:120]})", str(r.get("message", ""))]
            return [", ".join(f"{k}={v}" for k, v in row.items()) for row in rows]
        if r.get("unique_id") == unique_id:
            return [str(r.get("message", ""))]
    return []


def run(ctx: DrillContext) -> tuple[bool, str]:
    from marketplace_elt.quality import run_gate

    settings = ctx.settings
    seed_source(ctx)
    sync(ctx)
    code, log = dbt(ctx, ["build", "--exclude", "audit_run_ledger"], "clean")
    if code != 0:
        return False, f"the clean build failed before any drift; see {log}"
    clean_flags = _tests_flagging(ctx)
    touched = drift_schema(settings, TABLE, ADDED, DROPPED)
    ctx.note(f"source: {TABLE}.{ADDED} added, {TABLE}.{DROPPED} dropped, {touched} rows updated")
    problems: list[str] = []

    try:
        sync(ctx)
    except Exception as exc:
        return False, f"the sync after the drift failed: {str(exc).strip().splitlines()[0]}"
    columns = _raw_columns(ctx)
    raw = f"`{settings.bq_project}.{settings.raw_dataset}.{TABLE}`"
    carried = scalar(settings, f"SELECT COUNT(*) FROM {raw} WHERE `{ADDED}` IS NOT NULL")
    recorded = scalar(
        settings, f"SELECT COUNT(*) FROM {raw} WHERE TO_JSON_STRING(_airbyte_meta) LIKE '%SOURCE_SCHEMA_CHANGE%'"
    )
    sample = scalar(
        settings,
        f"SELECT TO_JSON_STRING(_airbyte_meta) FROM {raw} "
        "WHERE TO_JSON_STRING(_airbyte_meta) LIKE '%SOURCE_SCHEMA_CHANGE%' LIMIT 1",
    )
    ctx.note(
        f"raw.{TABLE}: {ADDED} {'present' if ADDED in columns else 'MISSING'}, {DROPPED} "
        f"{'kept (NULL from now on)' if DROPPED in columns else 'gone'}; {carried} rows carry {ADDED}; "
        f"{recorded} rows record the change"
    )
    ctx.note(f"_airbyte_meta of a changed row: {sample}")
    if ADDED not in columns or not carried:
        problems.append(f"raw.{TABLE} did not receive the new column's values")
    if not recorded or ADDED not in str(sample) or DROPPED not in str(sample):
        problems.append("the drift is not recorded in _airbyte_meta.changes (ADDED and NULLED)")

    gate = run_gate(settings, "raw", "drill-schema-drift", raise_on_failure=False, build_docs=False)
    ctx.note(f"raw quality gate: {'passed' if gate.success else 'FAILED'} ({gate.summary()})")
    if not gate.success:
        problems.append("the raw gate failed after the drift")

    code, log = dbt(ctx, ["build", "--exclude", "audit_run_ledger"], "after-drift")
    text = log.read_text(errors="replace")
    summary = [line.strip() for line in text.splitlines() if "Done. PASS=" in line]
    ctx.note(f"dbt build after the drift: exit {code}; {summary[-1] if summary else 'no summary'}")
    if code != 0:
        problems.append("the dbt build failed after the drift (the pipeline did not continue)")
    flagged = _tests_flagging(ctx) - clean_flags
    told: list[str] = []
    for unique_id in sorted(flagged)[:3]:
        rows = _test_rows(ctx, unique_id)
        ctx.note(f"test flagging the drift: {unique_id.split('.')[-2]}: {rows[:4] or 'no rows'}")
        told += [r for r in rows if ADDED in r or DROPPED in r]
    if not told:
        problems.append(
            f"no staging test reported what changed (no test newly warning or failing names {ADDED} or {DROPPED})"
        )
    for p in problems:
        ctx.note(f"problem: {p}")
    if problems:
        return False, problems[0]
    return True, f"pipeline continued; drift recorded on {recorded} raw rows; staging test named the change"
