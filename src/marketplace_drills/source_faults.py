"""Drill: the source hard-deletes payments and reviews and widens a column between two runs.

After a clean run (sync, build, publish), the source deletes a few completed payments (each its
event's only delivery, so no replay stands in for it) and a few reviews, and changes
``products.quantity_available`` from integer to numeric, giving some products a fractional stock.
The next run must see all of it: the sync marks exactly the deleted rows in raw
(``_ab_cdc_deleted_at``) and widens the raw column in place; the incremental marts equal a full
refresh row for row; and the published reconciliation captured exactly the deleted amounts less on
the orders of the deleted payments, which staging no longer shows.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import psycopg

from marketplace_drills.base import DrillContext
from marketplace_drills.steps import dbt_build, seed_source
from marketplace_elt.errors import UserError

DELETED_PAYMENTS = 5
DELETED_REVIEWS = 5
RETYPED = ("products", "quantity_available")


def _captured(ctx: DrillContext, order_ids: list[str]) -> Decimal:
    from marketplace_elt.bigquery import query_rows

    s = ctx.settings
    listed = ", ".join(f"'{o}'" for o in order_ids)
    rows = query_rows(
        s,
        f"SELECT SUM(captured_amount) AS total FROM `{s.bq_project}.{s.marts_dataset}.fct_payment_reconciliation` "
        f"WHERE order_id IN ({listed})",
    )
    return Decimal(str(rows[0]["total"] or 0))


def _faults(ctx: DrillContext) -> tuple[list[dict[str, Any]], list[str], int]:
    """Delete payments and reviews, widen the column; returns (deleted payments, deleted review ids, retyped rows)."""
    table, column = RETYPED
    with psycopg.connect(ctx.settings.source_admin_url, autocommit=True) as conn:
        payments = conn.execute(
            "DELETE FROM payments WHERE id IN ("
            "  SELECT id FROM payments WHERE status = 'completed' AND amount > 0 AND event_id IN ("
            "    SELECT event_id FROM payments GROUP BY event_id HAVING count(*) = 1)"
            "  ORDER BY md5(id::text) LIMIT %s)"
            " RETURNING id::text AS id, order_id::text AS order_id, amount",
            [DELETED_PAYMENTS],
        ).fetchall()
        reviews = conn.execute(
            "DELETE FROM reviews WHERE id IN (SELECT id FROM reviews ORDER BY md5(id::text) LIMIT %s) "
            "RETURNING id::text",
            [DELETED_REVIEWS],
        ).fetchall()
        conn.execute(f'ALTER TABLE "{table}" ALTER COLUMN "{column}" TYPE numeric(12, 2)')
        retyped = conn.execute(
            f'UPDATE "{table}" SET "{column}" = "{column}" + 0.5, updated_at = greatest(now(), updated_at) '
            f'WHERE id IN (SELECT id FROM "{table}" ORDER BY md5(id::text) LIMIT 10)'
        ).rowcount
    deleted = [{"id": p[0], "order_id": p[1], "amount": Decimal(str(p[2]))} for p in payments]
    return deleted, [r[0] for r in reviews], retyped


def run(ctx: DrillContext) -> tuple[bool, str]:
    from marketplace_elt.bigquery import client, query_rows
    from marketplace_elt.el import sync
    from marketplace_elt.publish import prepare
    from marketplace_elt.publish import publish as publish_marts
    from marketplace_elt.publish.compare import compare_with_full_refresh

    s = ctx.settings
    seed_source(ctx)
    sync(s)
    dbt_build(ctx, "initial")
    deleted, reviews, retyped = _faults(ctx)
    orders = sorted({p["order_id"] for p in deleted})
    before = _captured(ctx, orders)
    amount = sum((p["amount"] for p in deleted), Decimal(0))
    ctx.note(
        f"source: {len(deleted)} completed payments ({amount} in all) and {len(reviews)} reviews hard-deleted; "
        f"{RETYPED[0]}.{RETYPED[1]} integer -> numeric(12,2), {retyped} rows given a fractional value"
    )
    problems: list[str] = []

    results = {r.stream: r for r in sync(s)}
    marked = (results["payments"].rows_deleted, results["reviews"].rows_deleted)
    raw_type = next(
        f.field_type
        for f in client(s).get_table(f"{s.bq_project}.{s.raw_dataset}.{RETYPED[0]}").schema
        if f.name == RETYPED[1]
    )
    ctx.note(
        f"sync: {marked[0]} payments and {marked[1]} reviews marked deleted in raw; raw {RETYPED[1]} is {raw_type}"
    )
    if marked != (len(deleted), len(reviews)):
        problems.append(f"the sync marked {marked} rows deleted, the source deleted {(len(deleted), len(reviews))}")
    if raw_type not in ("NUMERIC", "BIGNUMERIC"):
        problems.append(f"raw {RETYPED[1]} was not widened (it is {raw_type})")

    prepare(s, "drill-source-faults")
    dbt_build(ctx, "after-faults", publish=False)
    try:
        compared = compare_with_full_refresh(s)
        ctx.note(f"incremental marts equal a full refresh: {len(compared.models)} marts, 0 differing rows")
    except UserError as exc:
        problems.append(str(exc))
    publish_marts(s, "drill-source-faults")

    after = _captured(ctx, orders)
    ctx.note(f"published reconciliation, the {len(orders)} orders' captured amount: {before} -> {after}")
    if before - after != amount:
        problems.append(f"captured money fell by {before - after}, the deleted payments were {amount}")
    listed = ", ".join(f"'{p['id']}'" for p in deleted)
    still = query_rows(
        s,
        f"SELECT COUNT(*) AS n FROM `{s.bq_project}.{s.staging_dataset}.stg_marketplace__payments` "
        f"WHERE payment_id IN ({listed})",
    )[0]["n"]
    if still:
        problems.append(f"{still} deleted payments are still in staging")

    for p in problems:
        ctx.note(f"problem: {p}")
    if problems:
        return False, problems[0]
    return True, f"{sum(marked)} deletes marked, captured money fell by exactly {amount}, column widened"
