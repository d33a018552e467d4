"""Seller performance per month, with the tier in effect and tier changes (fct_seller_performance)."""

from __future__ import annotations

import altair as alt
import streamlit as st
from warehouse import count, footer, query, query_or_note, usd

TIERS = ["bronze", "silver", "gold", "platinum", "unknown"]

st.title("Seller performance")

perf = query_or_note(
    """
    SELECT
        seller_id, sales_month, gmv_usd, order_count, units_sold, aov_usd, average_rating,
        primary_tier, tiers_in_effect, tier_at_month_end, tier_change_count
    FROM {fct_seller_performance}
    ORDER BY sales_month, seller_id
    """,
    "fct_seller_performance",
)
if perf is None or perf.empty:
    st.info("fct_seller_performance has no rows yet.")
    st.stop()

perf["month"] = perf["sales_month"].dt.strftime("%Y-%m")
selling = perf[perf["gmv_usd"].fillna(0) > 0]
months = sorted((selling if len(selling) else perf)["month"].unique(), reverse=True)
month = st.selectbox("Month", months, key="month")
current = perf[perf["month"] == month]

cards = st.columns(4)
cards[0].metric("Sellers with sales", count(current["seller_id"].nunique()))
cards[1].metric("GMV (USD)", usd(current["gmv_usd"].sum()), help="SUM(fct_seller_performance.gmv_usd)")
cards[2].metric("Tier changes", count(current["tier_change_count"].sum()), help="tier changes taking effect")
cards[3].metric("Sellers that changed tier", count((current["tier_change_count"] > 0).sum()))

left, right = st.columns(2)
with left:
    st.subheader("GMV by tier in effect, per month")
    st.altair_chart(
        alt.Chart(selling)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="month"),
            y=alt.Y("sum(gmv_usd):Q", title="GMV (USD)"),
            color=alt.Color("primary_tier:N", scale=alt.Scale(domain=TIERS), title="primary tier"),
            tooltip=["primary_tier", alt.Tooltip("sum(gmv_usd):Q", format="$,.2f", title="GMV")],
        ),
        width="stretch",
    )
with right:
    st.subheader("Sellers by tier at month end")
    st.altair_chart(
        alt.Chart(perf)
        .mark_bar()
        .encode(
            x=alt.X("month:O", title="month"),
            y=alt.Y("distinct(seller_id):Q", title="sellers"),
            color=alt.Color("tier_at_month_end:N", scale=alt.Scale(domain=TIERS), title="tier at month end"),
        ),
        width="stretch",
    )

st.subheader(f"Sellers in {month}")
st.dataframe(
    current.sort_values("gmv_usd", ascending=False).drop(columns=["sales_month", "month"]),
    hide_index=True,
    width="stretch",
    column_config={
        "gmv_usd": st.column_config.NumberColumn("GMV (USD)", format="$%.2f"),
        "aov_usd": st.column_config.NumberColumn("AOV (USD)", format="$%.2f"),
        "average_rating": st.column_config.NumberColumn("rating", format="%.2f"),
    },
)

st.subheader("Tier progression of one seller")
sellers = sorted(perf.loc[perf["tier_change_count"] > 0, "seller_id"].unique()) or sorted(perf["seller_id"].unique())
seller = st.selectbox("Seller (those with a tier change first)", sellers, key="seller")
history = perf[perf["seller_id"] == seller]
st.altair_chart(
    alt.Chart(history)
    .mark_line(point=True, interpolate="step-after")
    .encode(
        x=alt.X("month:O", title="month"),
        y=alt.Y("tier_at_month_end:N", sort=TIERS[::-1], title="tier at month end"),
        tooltip=["tier_at_month_end", "tiers_in_effect", "tier_change_count", alt.Tooltip("gmv_usd:Q", format="$,.2f")],
    ),
    width="stretch",
)
current_tier = query(
    "SELECT seller_tier, history_seller_tier FROM {dim_users} WHERE user_id = @seller_id",
    seller_id=str(seller),
)
if len(current_tier):
    st.caption(
        f"Current tier in dim_users: {current_tier.iloc[0]['seller_tier']} "
        f"(tier history says {current_tier.iloc[0]['history_seller_tier']})."
    )
footer()
