"""Sales by day x region x level-1 category, from fct_daily_sales (its own grain)."""

from __future__ import annotations

import altair as alt
import streamlit as st
from warehouse import count, footer, number, query_or_note, usd

st.title("Sales by day, region and category")

sales = query_or_note(
    """
    SELECT sales_date, region, level1_category_name, gmv_usd, order_count, units_sold, placed_order_count
    FROM {fct_daily_sales}
    ORDER BY sales_date
    """,
    "fct_daily_sales",
)
if sales is None or sales.empty:
    st.info("fct_daily_sales has no rows yet.")
    st.stop()

first, last = sales["sales_date"].min().date(), sales["sales_date"].max().date()
filters = st.columns([2, 2, 3])
picked = filters[0].date_input("Days", value=(first, last), min_value=first, max_value=last, key="days")
start, end = (picked[0], picked[-1]) if isinstance(picked, tuple) and picked else (first, last)
regions = filters[1].multiselect("Regions", sorted(sales["region"].dropna().unique()), key="regions")
categories = filters[2].multiselect("Categories", sorted(sales["level1_category_name"].dropna().unique()), key="cats")

view = sales[(sales["sales_date"].dt.date >= start) & (sales["sales_date"].dt.date <= end)]
if regions:
    view = view[view["region"].isin(regions)]
if categories:
    view = view[view["level1_category_name"].isin(categories)]

cards = st.columns(3)
cards[0].metric("GMV (USD)", usd(view["gmv_usd"].sum()), help="SUM(fct_daily_sales.gmv_usd) over the selection")
cards[1].metric("Units sold", count(view["units_sold"].sum()), help="SUM(fct_daily_sales.units_sold)")
cards[2].metric("Days", count(view["sales_date"].nunique()))
st.caption(
    "Order counts are per category (fct_daily_sales.order_count): an order with lines in two categories "
    "counts in both, so they are shown per cell and not added up."
)

st.subheader("GMV per day, by region")
st.altair_chart(
    alt.Chart(view)
    .mark_bar()
    .encode(
        x=alt.X("sales_date:T", title="day"),
        y=alt.Y("sum(gmv_usd):Q", title="GMV (USD)"),
        color=alt.Color("region:N", title="region"),
        tooltip=[
            alt.Tooltip("sales_date:T", title="day"),
            "region",
            alt.Tooltip("sum(gmv_usd):Q", format="$,.2f", title="GMV"),
        ],
    ),
    width="stretch",
)

st.subheader("GMV by region and category")
st.altair_chart(
    alt.Chart(view)
    .mark_rect()
    .encode(
        x=alt.X("level1_category_name:N", title="level-1 category", axis=alt.Axis(labelAngle=-30)),
        y=alt.Y("region:N", title="region"),
        color=alt.Color("sum(gmv_usd):Q", title="GMV (USD)"),
        tooltip=["region", "level1_category_name", alt.Tooltip("sum(gmv_usd):Q", format="$,.2f", title="GMV")],
    ),
    width="stretch",
)

st.subheader("Day x region x category")
st.dataframe(
    view.sort_values(["sales_date", "gmv_usd"], ascending=[False, False]).assign(
        sales_date=lambda f: f["sales_date"].dt.date
    ),
    hide_index=True,
    width="stretch",
    column_config={
        "gmv_usd": st.column_config.NumberColumn("GMV (USD)", format="$%.2f"),
        "order_count": st.column_config.NumberColumn("GMV orders"),
        "placed_order_count": st.column_config.NumberColumn("placed orders"),
    },
)
st.caption(f"{count(len(view))} rows; GMV {usd(number(view['gmv_usd'].sum()))}.")
footer()
