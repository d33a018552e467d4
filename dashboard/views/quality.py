"""Data quality: audit error rates per load day and stream, 7-day rolling rates, top 3, gate results."""

from __future__ import annotations

import altair as alt
import streamlit as st
from warehouse import count, footer, number, percent, query, query_or_note

LAYER_ORDER = {"raw": 0, "staging": 1, "intermediate": 2, "marts": 3}  # the gates' order in a run

st.title("Data quality")

daily = query_or_note(
    """
    SELECT load_date, stream, nb_total, nb_invalid, error_rate, invalid_rule
    FROM {mart_audit_daily}
    ORDER BY load_date, stream
    """,
    "mart_audit_daily",
)
if daily is None or daily.empty:
    st.info("mart_audit_daily has no rows yet.")
    st.stop()

latest_day = daily["load_date"].max()
latest = daily[daily["load_date"] == latest_day]
cards = st.columns(4)
cards[0].metric("Latest load day", f"{latest_day:%Y-%m-%d}")
cards[1].metric("Rows checked", count(latest["nb_total"].sum()), help="SUM(mart_audit_daily.nb_total)")
cards[2].metric("Invalid rows", count(latest["nb_invalid"].sum()), help="SUM(mart_audit_daily.nb_invalid)")
worst = latest.sort_values("error_rate", ascending=False).iloc[0]
cards[3].metric("Worst stream", f"{worst['stream']}", delta=percent(worst["error_rate"], 2), delta_color="inverse")

left, right = st.columns(2)
with left:
    st.subheader(f"Error rate per stream, {latest_day:%Y-%m-%d}")
    st.altair_chart(
        alt.Chart(latest)
        .mark_bar()
        .encode(
            x=alt.X("error_rate:Q", axis=alt.Axis(format="%"), title="error rate (nb_invalid / nb_total)"),
            y=alt.Y("stream:N", sort="-x", title=None),
            tooltip=["stream", "nb_total", "nb_invalid", alt.Tooltip("error_rate:Q", format=".2%"), "invalid_rule"],
        ),
        width="stretch",
    )
with right:
    st.subheader("7-day rolling error rate")
    rolling = query(
        """
        SELECT load_date, stream, rolling_7d_total, rolling_7d_invalid, rolling_7d_error_rate
        FROM {mart_audit_rolling}
        ORDER BY load_date, stream
        """
    )
    st.altair_chart(
        alt.Chart(rolling)
        .mark_line(point=True)
        .encode(
            x=alt.X("load_date:T", title="day"),
            y=alt.Y("rolling_7d_error_rate:Q", axis=alt.Axis(format="%"), title="7-day error rate"),
            color="stream:N",
            tooltip=["stream", alt.Tooltip("rolling_7d_error_rate:Q", format=".2%"), "rolling_7d_invalid"],
        ),
        width="stretch",
    )

st.subheader("Top 3 worst streams per load day")
top3 = query(
    """
    SELECT load_date, error_rank, stream, nb_total, nb_invalid, error_rate
    FROM {mart_audit_top3}
    ORDER BY load_date DESC, error_rank
    LIMIT 90
    """
)
st.dataframe(
    top3.assign(load_date=lambda f: f["load_date"].dt.date),
    hide_index=True,
    width="stretch",
    column_config={"error_rate": st.column_config.NumberColumn("error rate", format="percent")},
)

st.subheader("Quality gate results")
gates = query_or_note(
    """
    WITH latest AS (
        SELECT layer, MAX(checked_at) AS checked_at FROM {quality_gate_results} GROUP BY layer
    )
    SELECT r.layer, r.run_id, r.checked_at, r.`table`, r.expectation, r.success, r.observed, r.threshold
    FROM {quality_gate_results} AS r
    JOIN latest USING (layer, checked_at)
    ORDER BY r.layer, r.success, r.`table`, r.expectation
    """,
    "quality_gate_results",
)
if gates is not None and len(gates):
    verdicts = (
        gates.groupby(["layer", "run_id", "checked_at"], as_index=False)
        .agg(checks=("success", "size"), passed=("success", "sum"))
        .assign(failed=lambda f: f["checks"] - f["passed"])
        .assign(verdict=lambda f: f["failed"].map(lambda n: "PASS" if n == 0 else "FAIL"))
        .sort_values("layer", key=lambda layers: layers.map(LAYER_ORDER).fillna(len(LAYER_ORDER)))
    )
    columns = st.columns(len(verdicts))
    for column, gate in zip(columns, verdicts.itertuples(), strict=True):
        failed_checks = f"{int(number(gate.failed))} failed"
        column.metric(f"gate_{gate.layer}", gate.verdict, delta=failed_checks, delta_color="off", delta_arrow="off")
    st.dataframe(verdicts, hide_index=True, width="stretch")
    failed = gates[~gates["success"].astype(bool)]
    st.markdown(f"**Failed checks in the latest run of each gate: {len(failed)}**")
    st.dataframe(gates if failed.empty else failed, hide_index=True, width="stretch")
elif gates is not None:
    st.info("No gate has recorded a result yet.")
footer()
