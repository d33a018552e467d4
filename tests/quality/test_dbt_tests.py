"""dbt test results become gate outcomes: the tested mart, the failing-row count, warn passes,
an error fails with its first line, and a missing artifact is one clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marketplace_elt.errors import UserError
from marketplace_elt.quality.dbt_tests import outcomes_from_artifacts


def _write(target: Path, results: list[dict[str, object]], nodes: dict[str, object]) -> None:
    (target / "run_results.json").write_text(json.dumps({"results": results}))
    (target / "manifest.json").write_text(json.dumps({"nodes": nodes}))


def test_each_test_result_is_one_outcome(tmp_path: Path) -> None:
    gmv = "test.marketplace.expression_is_true_fct_orders_gmv_usd.1a2b"
    pii = "test.marketplace.users_pii_columns_are_hashed"
    share = "test.marketplace.assert_audit_error_rate_is_a_share"
    broken = "test.marketplace.not_null_dim_users_user_id.9f"
    _write(
        tmp_path,
        [
            {"unique_id": gmv, "status": "fail", "failures": 1},
            {"unique_id": pii, "status": "warn", "failures": 3},
            {"unique_id": share, "status": "pass", "failures": 0},
            {"unique_id": broken, "status": "error", "failures": None, "message": "Database Error\n  line 2"},
            {"unique_id": "model.marketplace.fct_orders", "status": "success"},
        ],
        {
            gmv: {"name": "expression_is_true_fct_orders_gmv_usd", "attached_node": "model.marketplace.fct_orders"},
            pii: {"name": "users_pii_columns_are_hashed", "depends_on": {"nodes": ["model.marketplace.dim_users"]}},
            share: {
                "name": "assert_audit_error_rate_is_a_share",
                "depends_on": {"nodes": ["model.marketplace.mart_audit_daily"]},
            },
            broken: {"name": "not_null_dim_users_user_id", "attached_node": "model.marketplace.dim_users"},
        },
    )
    outcomes = {o.expectation: o for o in outcomes_from_artifacts(tmp_path, "marts")}
    assert sorted(outcomes) == [
        "dbt_test:assert_audit_error_rate_is_a_share",
        "dbt_test:expression_is_true_fct_orders_gmv_usd",
        "dbt_test:not_null_dim_users_user_id",
        "dbt_test:users_pii_columns_are_hashed",
    ]
    failed = outcomes["dbt_test:expression_is_true_fct_orders_gmv_usd"]
    assert (failed.table, failed.success, failed.observed_value) == ("fct_orders", False, 1.0)
    assert failed.line.startswith("FAIL marts fct_orders: dbt test expression_is_true_fct_orders_gmv_usd")
    warned = outcomes["dbt_test:users_pii_columns_are_hashed"]
    assert (warned.table, warned.success) == ("dim_users", True)
    assert "severity warn" in warned.observed
    assert outcomes["dbt_test:assert_audit_error_rate_is_a_share"].table == "mart_audit_daily"
    errored = outcomes["dbt_test:not_null_dim_users_user_id"]
    assert not errored.success and errored.observed == "not measured (Database Error)"


def test_missing_artifacts_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no readable test results") as err:
        outcomes_from_artifacts(tmp_path, "marts")
    assert "\n" not in str(err.value)
