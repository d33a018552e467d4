"""The hand-computed dbt unit tests of the marts (marketing, audit and the gold extras) exist, have fixtures, and are
selected by the build the suite runs on the emulator (test_dbt_on_emulator: `dbt build --exclude
audit_run_ledger`), so a regression in their logic fails `test_build_is_green`. No warehouse needed."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.dbt.conftest import DBT_DIR, ParsedProject, dbt_executable, parse_env

# model -> unit test written for it (expected rows computed by hand, see the yml descriptions)
MART_UNIT_TESTS = {
    "fct_customer_cohorts": "cohorts_assign_first_eligible_month_and_count_retention",
    "mart_audit_rolling": "audit_rolling_sums_seven_calendar_days_per_stream",
    "mart_audit_top3": "audit_top3_ranks_worst_streams_with_deterministic_ties",
    "mart_audit_daily": "audit_daily_counts_invalid_rows_and_reasons",
    "mart_audit_payment_replays": "audit_payment_replays_list_every_discarded_delivery",
    "int_loaded_rows__validated": "loaded_rows_name_every_broken_check",
    "dim_date": "dim_date_iso_weeks_and_holidays_across_a_year_boundary",
    "dim_product_history": "dim_product_history_versions_from_the_snapshot",
    "fct_monthly_sales_growth": "sales_growth_compares_each_month_with_a_year_earlier",
    "fct_customer_lifetime_value": "customer_lifetime_value_per_buyer_on_eligible_orders",
    "fct_monthly_refund_rates": "refund_rates_per_month_and_category",
}

# singular tests that check a mart against an independently computed oracle
ORACLE_TESTS = {
    "assert_cohorts_account_for_every_eligible_order": {"fct_customer_cohorts", "fct_orders"},
    "assert_audit_top3_are_the_worst_streams_of_each_day": {"mart_audit_top3", "mart_audit_daily"},
    "assert_audit_daily_counts_every_staged_row": {"mart_audit_daily", "base_marketplace__payments"},
    "assert_payment_dedup_drops_nothing_silently": {"stg_marketplace__payments", "mart_audit_payment_replays"},
    "assert_completed_payments_match_raw_events": {"stg_marketplace__payments"},
    "assert_dim_date_matches_bigquery_calendar": {"dim_date", "holidays"},
    "assert_dim_date_covers_every_order_date": {"dim_date", "fct_orders"},
    "assert_product_history_current_versions_match_products": {"dim_product_history", "stg_marketplace__products"},
    "assert_sales_growth_matches_orders_a_year_earlier": {"fct_monthly_sales_growth", "int_orders__enriched"},
    "assert_customer_lifetime_value_matches_order_lines": {"fct_customer_lifetime_value", "int_order_items__enriched"},
    "assert_refund_rates_match_payments": {
        "fct_monthly_refund_rates",
        "int_orders__enriched",
        "int_payments__aggregated_to_orders",
    },
    # the generic tests themselves, on fixtures with known bad rows (reads no model)
    "assert_generic_tests_flag_known_bad_rows": set(),
}


@pytest.mark.parametrize(("model", "unit_test"), sorted(MART_UNIT_TESTS.items()))
def test_mart_logic_has_a_hand_made_fixture(parsed_project: ParsedProject, model: str, unit_test: str) -> None:
    tests = {u["name"]: u for u in parsed_project.manifest["unit_tests"].values() if u["model"] == model}
    assert unit_test in tests, f"{model}: unit test {unit_test} missing (found {sorted(tests)})"
    node = tests[unit_test]
    assert node["given"], f"{unit_test}: no given inputs"
    assert any(given["rows"] for given in node["given"]), f"{unit_test}: every input is empty"
    assert len(node["expect"]["rows"]) >= 2, f"{unit_test}: expect at least two hand-computed rows"


@pytest.mark.parametrize(("test_name", "reads"), sorted(ORACLE_TESTS.items()))
def test_oracle_tests_read_the_mart_and_its_oracle(
    parsed_project: ParsedProject, test_name: str, reads: set[str]
) -> None:
    tests = {t["name"]: t for t in parsed_project.nodes_of("test")}
    assert test_name in tests, f"singular test {test_name} missing"
    upstream = {u.split(".")[-1] for u in tests[test_name]["depends_on"]["nodes"]}
    assert reads <= upstream, f"{test_name} reads {sorted(upstream)}, expected at least {sorted(reads)}"


def test_the_suite_build_selects_every_mart_unit_test(tmp_path: Path) -> None:
    """What `dbt build --exclude audit_run_ledger` (test_dbt_on_emulator) runs includes these unit tests."""
    env = parse_env(tmp_path)
    cmd = [dbt_executable(), "ls", "--resource-type", "unit_test", "--exclude", "audit_run_ledger", "--output", "name"]
    result = subprocess.run(cmd, cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:]
    listed = {line.strip().split(".")[-1] for line in result.stdout.splitlines()}
    missing = set(MART_UNIT_TESTS.values()) - listed
    assert not missing, f"unit tests the suite's build would not run: {sorted(missing)}"
