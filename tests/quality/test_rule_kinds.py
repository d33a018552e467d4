"""Each kind of rule fails on data breaking it, naming the expectation and the observed value.

Uses a small config of its own (the packaged one is exercised by the raw and marts tests), written
in the same format as ``quality/thresholds.yml``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from marketplace_elt.quality import GateFailed, GateResult, load_config, run_gate

from .conftest import MakeTable

CONFIG = """
layers:
  staging:
    dataset: staging
    defaults: {tolerance_pct: 0}
    tables:
      stg_marketplace__orders:
        - {expect: unique, column: order_id}
        - {expect: not_null, column: order_id}
        - {expect: accepted_values, column: order_status, values: [pending, confirmed, shipped]}
        - {expect: matches_source, source_table: orders}
      stg_marketplace__payments:
        - {expect: unique, column: payment_id}
        - {expect: accepted_values, column: payment_status, values: [completed, failed]}
        - {expect: matches_source, source_table: payments, distinct: event_id}
      stg_marketplace__users:
        - {expect: accepted_values, column: user_type, values: [buyer, seller, both]}
        - {expect: accepted_values, column: seller_tier, values: [bronze, silver, gold, platinum]}
  intermediate:
    dataset: staging
    tables:
      int_seller_tiers__historized:
        - {expect: unique, column: seller_id, where: is_current}
      int_orders__converted_to_usd:
        - expect: metric
          name: fx_coverage_ratio
          sql: IFNULL(SAFE_DIVIDE(COUNTIF(fx_rate_to_usd IS NOT NULL), COUNT(*)), 1)
          min: 0.9
"""

ORDERS = [("order_id", "STRING"), ("order_status", "STRING")]
PAYMENTS = [("payment_id", "STRING"), ("event_id", "STRING"), ("payment_status", "STRING")]
USERS = [("user_id", "STRING"), ("user_type", "STRING"), ("seller_tier", "STRING")]
SCD2 = [("seller_id", "STRING"), ("tier", "STRING"), ("is_current", "BOOL")]
FX = [("order_id", "STRING"), ("fx_rate_to_usd", "NUMERIC")]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "gates.yml"
    path.write_text(CONFIG)
    return path


@pytest.fixture
def good_staging(source_db: Any, make_table: MakeTable) -> None:
    """Staging that agrees with the source: 2 orders, 2 distinct payment events, 3 users."""
    make_table(
        "staging",
        "stg_marketplace__orders",
        ORDERS,
        [
            {"order_id": "o1", "order_status": "pending"},
            {"order_id": "o2", "order_status": "confirmed"},
        ],
    )
    make_table(
        "staging",
        "stg_marketplace__payments",
        PAYMENTS,
        [
            {"payment_id": "p1", "event_id": "evt-1", "payment_status": "completed"},
            {"payment_id": "p3", "event_id": "evt-2", "payment_status": "failed"},
        ],
    )
    make_table(
        "staging",
        "stg_marketplace__users",
        USERS,
        [
            {"user_id": "u1", "user_type": "buyer", "seller_tier": None},
            {"user_id": "u2", "user_type": "seller", "seller_tier": "gold"},
        ],
    )


@pytest.fixture
def good_intermediate(services: Any, make_table: MakeTable) -> None:
    make_table(
        "staging",
        "int_seller_tiers__historized",
        SCD2,
        [
            {"seller_id": "s1", "tier": "bronze", "is_current": False},
            {"seller_id": "s1", "tier": "silver", "is_current": True},
            {"seller_id": "s2", "tier": "gold", "is_current": True},
        ],
    )
    make_table(
        "staging",
        "int_orders__converted_to_usd",
        FX,
        [{"order_id": f"o{i}", "fx_rate_to_usd": "1.1"} for i in range(10)],
    )


def _fail(settings: Any, layer: str, config: Path) -> GateResult:
    with pytest.raises(GateFailed) as failed:
        run_gate(settings, layer, f"test-{layer}-fail", config=config, build_docs=False)
    return failed.value.result


def _failing(result: GateResult) -> dict[tuple[str, str], str]:
    return {(r.table, r.expectation): r.observed for r in result.failures}


def test_good_staging_and_intermediate_pass(
    source_db: Any, config: Path, good_staging: None, good_intermediate: None
) -> None:
    staging = run_gate(source_db, "staging", "test-rules-pass", config=config, build_docs=False)
    assert staging.success and len(staging.results) == 9, "\n".join(staging.lines)
    recon = {r.table: r.observed for r in staging.results if r.expectation == "matches_source"}
    # payments: 3 source rows but 2 distinct events (a webhook replay) == 2 staging events
    assert recon["stg_marketplace__payments"] == "0 % (2 in BigQuery vs 2 in source)"
    intermediate = run_gate(source_db, "intermediate", "test-rules-pass", config=config, build_docs=False)
    assert intermediate.success, "\n".join(intermediate.lines)


def test_duplicate_key(source_db: Any, config: Path, good_staging: None, make_table: MakeTable) -> None:
    make_table(
        "staging",
        "stg_marketplace__orders",
        ORDERS,
        [
            {"order_id": "o1", "order_status": "pending"},
            {"order_id": "o1", "order_status": "pending"},
        ],
    )
    result = _fail(source_db, "staging", config)
    assert _failing(result) == {("stg_marketplace__orders", "unique:order_id"): "1 (e.g. o1)"}
    line = next(r.line for r in result.failures if r.expectation == "unique:order_id")
    assert (
        line
        == "FAIL staging stg_marketplace__orders: duplicated order_id values -- observed 1 (e.g. o1), expected <= 0"
    )


def test_null_key(source_db: Any, config: Path, good_staging: None, make_table: MakeTable) -> None:
    make_table(
        "staging",
        "stg_marketplace__orders",
        ORDERS,
        [
            {"order_id": "o1", "order_status": "pending"},
            {"order_id": None, "order_status": "pending"},
        ],
    )
    failing = _failing(_fail(source_db, "staging", config))
    assert failing == {("stg_marketplace__orders", "not_null:order_id"): "1"}


def test_unknown_status(source_db: Any, config: Path, good_staging: None, make_table: MakeTable) -> None:
    make_table(
        "staging",
        "stg_marketplace__orders",
        ORDERS,
        [
            {"order_id": "o1", "order_status": "pending"},
            {"order_id": "o2", "order_status": "teleported"},
        ],
    )
    make_table(
        "staging",
        "stg_marketplace__users",
        USERS,
        [
            {"user_id": "u1", "user_type": "robot", "seller_tier": "diamond"},
        ],
    )
    result = _fail(source_db, "staging", config)
    assert _failing(result) == {
        ("stg_marketplace__orders", "accepted_values:order_status"): "1 (unexpected: teleported)",
        ("stg_marketplace__users", "accepted_values:user_type"): "1 (unexpected: robot)",
        ("stg_marketplace__users", "accepted_values:seller_tier"): "1 (unexpected: diamond)",
    }
    assert any("rows whose order_status is not one of pending, confirmed, shipped" in line for line in result.lines)


def test_count_mismatch_vs_source(source_db: Any, config: Path, good_staging: None, make_table: MakeTable) -> None:
    make_table("staging", "stg_marketplace__orders", ORDERS, [{"order_id": "o1", "order_status": "pending"}])
    make_table(
        "staging",
        "stg_marketplace__payments",
        PAYMENTS,
        [
            {"payment_id": "p1", "event_id": "evt-1", "payment_status": "completed"},
            {"payment_id": "p3", "event_id": "evt-2", "payment_status": "failed"},
            {"payment_id": "p9", "event_id": "evt-9", "payment_status": "failed"},
        ],
    )
    failing = _failing(_fail(source_db, "staging", config))
    assert failing == {
        ("stg_marketplace__orders", "matches_source"): "50 % (1 in BigQuery vs 2 in source)",
        ("stg_marketplace__payments", "matches_source"): "50 % (3 in BigQuery vs 2 in source)",
    }


def test_tolerance_comes_from_config(source_db: Any, config: Path, good_staging: None, make_table: MakeTable) -> None:
    make_table("staging", "stg_marketplace__orders", ORDERS, [{"order_id": "o1", "order_status": "pending"}])
    assert not run_gate(source_db, "staging", "t", config=config, build_docs=False, raise_on_failure=False).success
    config.write_text(CONFIG.replace("tolerance_pct: 0}", "tolerance_pct: 60}"))
    assert run_gate(source_db, "staging", "t", config=config, build_docs=False).success


def test_two_current_rows_per_seller(
    source_db: Any, config: Path, good_intermediate: None, make_table: MakeTable
) -> None:
    make_table(
        "staging",
        "int_seller_tiers__historized",
        SCD2,
        [
            {"seller_id": "s1", "tier": "bronze", "is_current": True},
            {"seller_id": "s1", "tier": "silver", "is_current": True},
        ],
    )
    result = _fail(source_db, "intermediate", config)
    assert _failing(result) == {("int_seller_tiers__historized", "unique:seller_id"): "1 (e.g. s1)"}
    assert "duplicated seller_id values where is_current" in result.failures[0].line


def test_fx_coverage_below_threshold(
    source_db: Any, config: Path, good_intermediate: None, make_table: MakeTable
) -> None:
    rows = [{"order_id": f"o{i}", "fx_rate_to_usd": "1.1" if i < 8 else None} for i in range(10)]
    make_table("staging", "int_orders__converted_to_usd", FX, rows)
    result = _fail(source_db, "intermediate", config)
    assert [r.line for r in result.failures] == [
        "FAIL intermediate int_orders__converted_to_usd: fx_coverage_ratio -- observed 0.8, expected >= 0.9"
    ]


def test_renamed_column_fails_only_its_check(
    source_db: Any, config: Path, good_staging: None, make_table: MakeTable
) -> None:
    make_table(
        "staging",
        "stg_marketplace__users",
        [("user_id", "STRING"), ("kind", "STRING"), ("seller_tier", "STRING")],
        [
            {"user_id": "u1", "kind": "buyer", "seller_tier": None},
        ],
    )
    result = _fail(source_db, "staging", config)
    (failure,) = result.failures
    assert failure.expectation == "accepted_values:user_type"
    assert "could not compute" in failure.observed and "user_type" in failure.observed


def test_loaded_config_object_is_accepted(source_db: Any, config: Path, good_intermediate: None) -> None:
    assert run_gate(source_db, "intermediate", "t", config=load_config(config), build_docs=False).success
