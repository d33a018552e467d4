"""The marts gate with the packaged config: the audit mart is filled, invalid-payment threshold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace_elt.quality import DEFAULT_CONFIG_PATH, GateFailed, GateResult, run_gate

from .conftest import AUDIT, FCT_ORDERS, GOOD_AUDIT, MakeTable, audit_row


def _failures(settings: Any, config: Path | None = None) -> GateResult:
    with pytest.raises(GateFailed) as failed:
        run_gate(settings, "marts", "test-marts-fail", config=config, build_docs=False)
    return failed.value.result


def test_good_marts_pass(services: Any, good_marts: None) -> None:
    result = run_gate(services, "marts", "test-marts-pass", build_docs=False)
    assert result.success, "\n".join(result.lines)
    invalid = next(r for r in result.results if r.expectation == "invalid_payments_pct")
    assert invalid.observed_value == 1.0 and invalid.threshold == "<= 5"


def test_row_level_rules_are_left_to_dbt(services: Any, good_marts: None, make_table: MakeTable) -> None:
    """Negative GMV, orphan buyers and an error rate above 1 are dbt tests now (fct_orders' yml,
    dbt/tests/marts/): the marts gate judges only its metric and row count, so it passes here."""
    make_table("marts", "mart_audit_daily", AUDIT, [*GOOD_AUDIT, audit_row("2026-01-02", "users", 10, 0, rate=1.5)])
    make_table(
        "marts",
        "fct_orders",
        FCT_ORDERS,
        [
            {"order_id": "o1", "buyer_id": "ghost", "gmv_usd": "-5.25"},
            {"order_id": "o1", "buyer_id": "u2", "gmv_usd": "3"},
        ],
    )
    result = run_gate(services, "marts", "test-marts-dbt-owned", build_docs=False)
    assert result.success
    assert {(r.table, r.expectation) for r in result.results} == {
        ("mart_audit_daily", "row_count"),
        ("mart_audit_daily", "invalid_payments_pct"),
    }


def test_empty_audit_mart_fails(services: Any, good_marts: None, make_table: MakeTable) -> None:
    make_table("marts", "mart_audit_daily", AUDIT, [])
    failures = {(r.table, r.expectation) for r in _failures(services).failures}
    assert ("mart_audit_daily", "row_count") in failures


def test_invalid_payments_above_threshold_then_config_flips_verdict(
    services: Any, good_marts: None, make_table: MakeTable, tmp_path: Path
) -> None:
    make_table("marts", "mart_audit_daily", AUDIT, [*GOOD_AUDIT, audit_row("2026-01-03", "payments", 200, 20)])
    (failure,) = _failures(services).failures
    assert failure.expectation == "invalid_payments_pct"
    assert failure.line.endswith("observed 10, expected <= 5")

    # Same data, threshold raised to 12 % in a copy of the packaged config: the gate now passes.
    cfg = yaml.safe_load(DEFAULT_CONFIG_PATH.read_text())
    for check in cfg["layers"]["marts"]["tables"]["mart_audit_daily"]:
        if check.get("name") == "invalid_payments_pct":
            check["max"] = 12
    relaxed = tmp_path / "thresholds.yml"
    relaxed.write_text(yaml.safe_dump(cfg))
    result = run_gate(services, "marts", "test-marts-relaxed", config=relaxed, build_docs=False)
    assert result.success
    assert next(r for r in result.results if r.expectation == "invalid_payments_pct").threshold == "<= 12"
