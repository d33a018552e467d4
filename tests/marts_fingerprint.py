"""A cheap fingerprint of the marts: row counts, money totals and latest load time per fact."""

from __future__ import annotations

from typing import Any

from marketplace_elt.bigquery import query_rows
from marketplace_elt.settings import Settings

FACTS = {
    "fct_orders": "SUM(gmv_usd)",
    "fct_daily_sales": "SUM(gmv_usd)",
    "fct_payment_reconciliation": "SUM(amount_difference)",
}


def marts_fingerprint(settings: Settings) -> dict[str, tuple[Any, ...]]:
    out = {}
    for table, total in FACTS.items():
        row = query_rows(
            settings,
            f"SELECT COUNT(*) AS n, {total} AS total, MAX(source_loaded_at) AS loaded "
            f"FROM `{settings.bq_project}.{settings.marts_dataset}.{table}`",
        )[0]
        out[table] = (row["n"], row["total"], row["loaded"])
    return out
