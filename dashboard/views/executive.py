"""Executive summary: GMV, orders, AOV and period growth, from fct_orders."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st
from warehouse import count, footer, number, percent, query, query_or_note, usd

st.title("Executive summary")

totals = query_or_note(
    """
    SELECT
        SUM(gmv_usd) AS gmv_usd,
        COUNTIF(is_gmv_eligible) AS gmv_order_count,
        COUNT(*) AS placed_order_count,
        MIN(order_date) AS first_order_date,
        MAX(order_date) AS last_order_date
    FROM {fct_orders}
    """,
    "fct_orders",
)
if totals is None:
    st.stop()
row = totals.iloc[0]
gmv, orders = number(row["gmv_usd"]), number(row["gmv_order_count"])

grain = st.radio("Period", ["month", "week"], horizontal=True, key="grain")
column = "order_month" if grain == "month" else "order_week"
periods = query(
    f"""
    SELECT
        {column} AS period,
        SUM(gmv_usd) AS gmv_usd,
        COUNTIF(is_gmv_eligible) AS gmv_order_count
    FROM {{fct_orders}}
    GROUP BY period
    ORDER BY period
    """
)
periods["label"] = [f"{p:%Y-%m}" if grain == "month" else f"{p:%Y-%m-%d}" for p in periods["period"]]
periods["aov_usd"] = periods["gmv_usd"] / periods["gmv_order_count"].where(periods["gmv_order_count"] > 0)


def growth(current: float, previous: float | None) -> float | None:
    return None if not previous else current / previous - 1


latest = periods.iloc[-1] if len(periods) else None
previous = periods.iloc[-2] if len(periods) > 1 else None
period_growth = growth(number(latest["gmv_usd"]), number(previous["gmv_usd"])) if latest is not None else None
year_ago = None
if latest is not None:
    match = periods[periods["period"] == latest["period"] - pd.DateOffset(years=1)]
    year_ago = growth(number(latest["gmv_usd"]), number(match.iloc[0]["gmv_usd"])) if len(match) else None


def label(period: pd.Timestamp) -> str:
    return f"{period:%Y-%m}" if grain == "month" else f"week of {period:%Y-%m-%d}"


def signed(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:+.1f}%"


cards = st.columns(5)
cards[0].metric("GMV (USD)", usd(gmv), help="SUM(fct_orders.gmv_usd): the run ledger's GMV definition")
cards[1].metric("GMV orders", count(orders), help="COUNTIF(fct_orders.is_gmv_eligible)")
cards[2].metric("AOV (USD)", usd(gmv / orders) if orders else "n/a", help="GMV / GMV orders")
if latest is not None:
    cards[3].metric(
        f"GMV, {label(latest['period'])}",
        usd(latest["gmv_usd"]),
        delta=f"{signed(period_growth)} vs {label(previous['period'])}" if period_growth is not None else None,
        help=f"Latest {grain} in fct_orders against the {grain} before it",
    )
    cards[4].metric(
        "Year on year",
        percent(year_ago) if year_ago is not None else "n/a",
        delta=signed(year_ago),
        help=f"GMV of {label(latest['period'])} against the same {grain} a year earlier "
        "(n/a without a year of history)",
    )
st.caption(
    f"GMV = SUM(fct_orders.gmv_usd) (eligible statuses only), as in audit_run_ledger. "
    f"AOV = GMV / GMV orders. Placed orders, any status: {count(row['placed_order_count'])}. "
    f"Orders from {str(row['first_order_date'])[:10]} to {str(row['last_order_date'])[:10]}; "
    f"the latest {grain} may still be partial."
)

left, right = st.columns([2, 1])
with left:
    st.subheader(f"GMV by {grain}")
    st.altair_chart(
        alt.Chart(periods)
        .mark_bar()
        .encode(
            x=alt.X("label:O", title=grain),
            y=alt.Y("gmv_usd:Q", title="GMV (USD)"),
            tooltip=[
                alt.Tooltip("label:O", title=grain),
                alt.Tooltip("gmv_usd:Q", format="$,.2f", title="GMV"),
                alt.Tooltip("gmv_order_count:Q", format=",", title="GMV orders"),
                alt.Tooltip("aov_usd:Q", format="$,.2f", title="AOV"),
            ],
        ),
        width="stretch",
    )
with right:
    st.subheader("GMV by region")
    regions = query(
        """
        SELECT COALESCE(region, 'unknown') AS region, SUM(gmv_usd) AS gmv_usd, COUNTIF(is_gmv_eligible) AS orders
        FROM {fct_orders}
        GROUP BY region
        ORDER BY gmv_usd DESC
        """
    )
    st.altair_chart(
        alt.Chart(regions)
        .mark_bar()
        .encode(
            x=alt.X("gmv_usd:Q", title="GMV (USD)"),
            y=alt.Y("region:N", sort="-x", title=None),
            tooltip=["region", alt.Tooltip("gmv_usd:Q", format="$,.2f"), "orders"],
        ),
        width="stretch",
    )

st.subheader(f"Per {grain}")
table = periods.sort_values("period", ascending=False).drop(columns=["label"])
table["period"] = table["period"].dt.date
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={
        "gmv_usd": st.column_config.NumberColumn("GMV (USD)", format="$%.2f"),
        "gmv_order_count": st.column_config.NumberColumn("GMV orders"),
        "aov_usd": st.column_config.NumberColumn("AOV (USD)", format="$%.2f"),
    },
)

ledger = query_or_note(
    """
    SELECT run_id, last_recorded_at, order_count, gmv_usd
    FROM {audit_run_ledger}
    ORDER BY last_recorded_at DESC
    LIMIT 1
    """,
    "audit_run_ledger",
)
if ledger is not None and len(ledger):
    run = ledger.iloc[0]
    st.caption(
        f"Latest pipeline run in audit_run_ledger: {run['run_id']} at {run['last_recorded_at']} "
        f"(ledger GMV {usd(run['gmv_usd'])}, {count(run['order_count'])} orders)."
    )
footer()
