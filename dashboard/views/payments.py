"""Payment reconciliation: statuses, amounts, and a drill from a status to its orders (fct_payment_reconciliation)."""

from __future__ import annotations

import altair as alt
import streamlit as st
from warehouse import count, footer, number, query, query_or_note, usd

st.title("Payment reconciliation")

statuses = query_or_note(
    """
    SELECT
        reconciliation_status,
        COUNT(*) AS orders,
        SUM(amount_due_usd) AS amount_due_usd,
        SUM(net_paid_amount_usd) AS net_paid_amount_usd,
        SUM(amount_difference_usd) AS amount_difference_usd,
        SUM(refunded_amount_usd) AS refunded_amount_usd,
        SUM(replay_count) AS replay_count
    FROM {fct_payment_reconciliation}
    GROUP BY reconciliation_status
    ORDER BY orders DESC
    """,
    "fct_payment_reconciliation",
)
if statuses is None or statuses.empty:
    st.info("fct_payment_reconciliation has no rows yet.")
    st.stop()

total_orders = number(statuses["orders"].sum())
balanced = number(statuses.loc[statuses["reconciliation_status"] == "balanced", "orders"].sum())
cards = st.columns(4)
cards[0].metric("Orders reconciled", count(total_orders))
cards[1].metric("Balanced", f"{balanced / total_orders:.1%}" if total_orders else "n/a", help="status 'balanced'")
cards[2].metric("Amount due (USD)", usd(statuses["amount_due_usd"].sum()), help="SUM(amount_due_usd)")
cards[3].metric(
    "Difference (USD)",
    usd(statuses["amount_difference_usd"].sum()),
    help="SUM(amount_difference_usd): net paid minus amount due",
)

left, right = st.columns(2)
with left:
    st.subheader("Orders by reconciliation status")
    st.altair_chart(
        alt.Chart(statuses)
        .mark_bar()
        .encode(
            x=alt.X("orders:Q"),
            y=alt.Y("reconciliation_status:N", sort="-x", title=None),
            tooltip=["reconciliation_status", "orders"],
        ),
        width="stretch",
    )
with right:
    st.subheader("Amounts by status (USD)")
    amounts = statuses.melt(
        id_vars="reconciliation_status",
        value_vars=["amount_due_usd", "net_paid_amount_usd", "amount_difference_usd"],
        var_name="amount",
        value_name="usd",
    )
    st.altair_chart(
        alt.Chart(amounts)
        .mark_bar()
        .encode(
            x=alt.X("usd:Q", title="USD"),
            y=alt.Y("reconciliation_status:N", title=None),
            color=alt.Color("amount:N"),
            yOffset="amount:N",
            tooltip=["reconciliation_status", "amount", alt.Tooltip("usd:Q", format="$,.2f")],
        ),
        width="stretch",
    )

st.dataframe(
    statuses,
    hide_index=True,
    width="stretch",
    column_config={c: st.column_config.NumberColumn(c, format="$%.2f") for c in statuses.columns if c.endswith("_usd")},
)

balances = query(
    """
    SELECT balance_status, COUNT(*) AS orders, SUM(amount_difference_usd) AS amount_difference_usd
    FROM {fct_payment_reconciliation}
    GROUP BY balance_status
    ORDER BY orders DESC
    """
)
st.caption(
    "Balance from amounts only (balance_status): "
    + ", ".join(f"{r.balance_status} {int(r.orders):,}" for r in balances.itertuples())
    + "."
)

st.subheader("Drill to orders")
options = list(statuses["reconciliation_status"])
exceptions = [i for i, name in enumerate(options) if name != "balanced"]  # finance starts from the exceptions
status = st.selectbox("Reconciliation status", options, index=exceptions[0] if exceptions else 0, key="status")
orders = query(
    """
    SELECT
        order_id, order_number, order_status, order_date, currency, amount_due_usd, net_paid_amount_usd,
        amount_difference_usd, payment_event_count, completed_payment_count, refund_count, dispute_count,
        replay_count, balance_status
    FROM {fct_payment_reconciliation}
    WHERE reconciliation_status = @status
    ORDER BY ABS(COALESCE(amount_difference_usd, 0)) DESC, order_id
    LIMIT 500
    """,
    status=str(status),
)
shown = int(number(statuses.loc[statuses["reconciliation_status"] == status, "orders"].sum()))
more = " (the 500 largest differences shown)" if shown > 500 else ""
st.caption(f"{count(shown)} orders in status '{status}'{more}")
st.dataframe(
    orders.assign(order_date=lambda f: f["order_date"].dt.date),
    hide_index=True,
    width="stretch",
    column_config={c: st.column_config.NumberColumn(c, format="$%.2f") for c in orders.columns if c.endswith("_usd")},
)
if len(orders):
    order_id = st.selectbox("Order", list(orders["order_id"]), key="order")
    detail = query(
        """
        SELECT
            order_id, order_number, order_status, order_date, buyer_id, region, main_level1_category_name,
            currency, total_amount, total_amount_usd, gmv_usd, is_gmv_eligible, item_count, units,
            is_total_mismatch, is_unknown_currency
        FROM {fct_orders}
        WHERE order_id = @order_id
        """,
        order_id=str(order_id),
    )
    st.markdown("**The order in fct_orders**")
    detail["order_date"] = detail["order_date"].dt.date
    st.dataframe(detail.T.rename(columns={0: "value"}).astype(str), width="stretch")
footer()
