"""Drill: a replay storm. 10 % of all payment webhooks are delivered again (new row id, same
event_id, stored now). After the next sync and build, raw keeps every delivery, staging collapses
them, the reconciliation must balance exactly as before (same balance status per order, same net
amount paid) and the replays must be counted (staging's replay_count, the replay audit mart, and
the orders flagged duplicate-replay-detected).
"""

from __future__ import annotations

from typing import Any

from marketplace_drills.base import DrillContext
from marketplace_drills.compare import scalar
from marketplace_drills.source_changes import replay_payments
from marketplace_drills.steps import dbt_build, seed_source, sync
from marketplace_elt.bigquery import query_rows

SHARE = 0.10


def _figures(ctx: DrillContext) -> dict[str, Any]:
    s = ctx.settings
    raw = f"`{s.bq_project}.{s.raw_dataset}`"
    stg = f"`{s.bq_project}.{s.staging_dataset}`"
    marts = f"`{s.bq_project}.{s.marts_dataset}`"
    status = query_rows(
        s,
        f"SELECT balance_status AS s, COUNT(*) AS n, SUM(net_paid_amount) AS paid "
        f"FROM {marts}.fct_payment_reconciliation GROUP BY 1 ORDER BY 1",
    )
    return {
        "raw_payments": int(scalar(s, f"SELECT COUNT(*) FROM {raw}.payments") or 0),
        "staged_payments": int(scalar(s, f"SELECT COUNT(*) FROM {stg}.stg_marketplace__payments") or 0),
        "replays_counted": int(scalar(s, f"SELECT SUM(replay_count) FROM {stg}.stg_marketplace__payments") or 0),
        "replay_audit_rows": int(scalar(s, f"SELECT COUNT(*) FROM {marts}.mart_audit_payment_replays") or 0),
        "orders_flagged": int(
            scalar(
                s,
                f"SELECT COUNT(*) FROM {marts}.fct_payment_reconciliation "
                "WHERE reconciliation_status = 'duplicate-replay-detected'",
            )
            or 0
        ),
        "balance_status": {str(r["s"]): int(r["n"]) for r in status},
        "net_paid": str(sum((r["paid"] for r in status if r["paid"] is not None), start=0)),
    }


def run(ctx: DrillContext) -> tuple[bool, str]:
    seed_source(ctx)
    sync(ctx)
    dbt_build(ctx, "clean")
    before = _figures(ctx)
    ctx.note(f"before: {before}")
    injected = replay_payments(ctx.settings, SHARE, salt=str(ctx.options.random_seed))
    ctx.note(f"replayed {injected} payment webhooks ({SHARE:.0%} of payments rows)")
    sync(ctx)
    dbt_build(ctx, "after-replays")
    after = _figures(ctx)
    ctx.note(f"after:  {after}")
    problems = []
    if after["raw_payments"] != before["raw_payments"] + injected:
        problems.append(f"raw payments {before['raw_payments']} -> {after['raw_payments']}, expected +{injected}")
    if after["staged_payments"] != before["staged_payments"]:
        problems.append(f"staging payments changed {before['staged_payments']} -> {after['staged_payments']}")
    if after["replays_counted"] - before["replays_counted"] != injected:
        problems.append(
            f"replay_count rose by {after['replays_counted'] - before['replays_counted']}, expected {injected}"
        )
    if after["balance_status"] != before["balance_status"] or after["net_paid"] != before["net_paid"]:
        problems.append("the reconciliation changed (balance status per order or net amount paid)")
    if after["orders_flagged"] < before["orders_flagged"] or after["replay_audit_rows"] <= before["replay_audit_rows"]:
        problems.append("the replays are not reported by the marts")
    ctx.note(
        f"replay count reported: {after['replays_counted']} extra deliveries "
        f"(+{after['replays_counted'] - before['replays_counted']}), "
        f"{after['replay_audit_rows']} events in mart_audit_payment_replays, {after['orders_flagged']} orders flagged"
    )
    for p in problems:
        ctx.note(f"problem: {p}")
    if problems:
        return False, problems[0]
    return True, (
        f"{injected} replays: reconciliation unchanged ({sum(after['balance_status'].values())} orders, net paid "
        f"{after['net_paid']}), +{injected} replays counted"
    )
