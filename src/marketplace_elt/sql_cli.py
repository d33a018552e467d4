"""`marketplace-elt sql "SELECT ..."`: a query against the configured warehouse, printed as a table.

For on-call and the runbook: the same command reaches the local emulator or real BigQuery, so the
runbook's queries work unchanged in both. Dataset names can be written as {raw}, {staging}, {marts}
(what readers see), {marts_audit} (the latest build) and {marts_previous}.
"""

from __future__ import annotations

import argparse

from marketplace_elt.errors import UserError
from marketplace_elt.settings import get_settings


def render(rows: list[dict[str, object]], limit: int) -> str:
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[("" if r[c] is None else str(r[c])) for c in columns] for r in rows[:limit]]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more rows (raise --limit)")
    return "\n".join(lines)


def _query(args: argparse.Namespace) -> int:
    from marketplace_elt.bigquery import client, query_rows, require_reachable

    settings = get_settings()
    bq = client(settings)
    require_reachable(settings, bq)
    project = settings.bq_project
    sql = args.query.format(
        raw=f"`{project}.{settings.raw_dataset}`",
        staging=f"`{project}.{settings.staging_dataset}`",
        marts=f"`{project}.{settings.marts_dataset}`",
        marts_audit=f"`{project}.{settings.marts_audit_dataset}`",
        marts_previous=f"`{project}.{settings.marts_previous_dataset}`",
    )
    try:
        rows = query_rows(settings, sql, bq)
    except Exception as exc:  # the warehouse's own message is the useful part
        message = str(exc).strip().splitlines()[0][:300]
        raise UserError(f"query failed: {message}; check table and column names (`{{raw}}.orders` etc.)") from None
    print(render(rows, args.limit))
    return 0


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sql",
        help="run a SQL query on the warehouse and print the rows ({raw}, {staging}, {marts}, {marts_audit} expand)",
    )
    parser.add_argument("query", help='e.g. "SELECT COUNT(*) AS n FROM {marts}.fct_orders"')
    parser.add_argument("--limit", type=int, default=50, help="rows to print (default 50)")
    parser.set_defaults(handler=_query)
