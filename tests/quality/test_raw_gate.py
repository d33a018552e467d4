"""The raw gate with the packaged config: the declared raw contract, row counts vs the source, and the
money rule on completed payments."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace_elt.el.catalog import parse_catalog
from marketplace_elt.errors import UserError
from marketplace_elt.quality import GateFailed, freshness_outcomes, load_config, run_gate
from marketplace_elt.settings import PROJECT_ROOT

from .conftest import MakeTable, Schema, raw_rows


def test_raw_gate_passes_on_contract_tables(source_db: Any, good_raw: dict[str, Schema]) -> None:
    result = run_gate(source_db, "raw", "test-raw-pass", build_docs=False)
    assert result.success, "\n".join(result.lines)
    assert all(line.startswith("PASS raw ") for line in result.lines)
    by_name = {(r.table, r.expectation): r for r in result.results}
    assert by_name[("categories", "matches_source")].observed.startswith("0 % (2 in BigQuery vs 2 in source)")
    assert by_name[("users", "raw_contract")].observed_value == 0


def test_raw_gate_fails_on_missing_column_wrong_type_and_full_refresh_count(
    source_db: Any, good_raw: dict[str, Schema], make_table: MakeTable
) -> None:
    users = [(n, "INT64" if n == "is_active" else t) for n, t in good_raw["users"] if n != "email"]
    make_table("raw", "users", users, raw_rows(1))
    make_table("raw", "categories", good_raw["categories"], raw_rows(3))  # source has 2
    make_table("raw", "event_log", good_raw["event_log"], [])  # empty

    with pytest.raises(GateFailed) as failed:
        run_gate(source_db, "raw", "test-raw-fail", build_docs=False)
    message = str(failed.value)
    assert "quality gate raw FAILED" in message
    assert "FAIL raw users: columns missing or mistyped" in message
    assert "missing email" in message and "is_active is INT64 (expected BOOL)" in message
    assert "FAIL raw categories: row count difference vs source table categories -- observed 50 % " in message
    assert "(3 in BigQuery vs 2 in source)" in message
    assert "FAIL raw event_log: row count -- observed 0, expected >= 1" in message
    failing = {(r.table, r.expectation) for r in failed.value.result.failures}
    assert failing == {
        ("users", "raw_contract"),
        ("categories", "matches_source"),
        ("event_log", "row_count"),
    }


def test_missing_raw_table_fails_its_checks_only(source_db: Any, good_raw: dict[str, Schema], bq: Any) -> None:
    bq.delete_table(f"{source_db.bq_project}.{source_db.raw_dataset}.reviews")
    result = run_gate(source_db, "raw", "test-raw-missing", build_docs=False, raise_on_failure=False)
    assert not result.success
    assert {r.table for r in result.failures} == {"reviews"}
    assert all("not found" in r.observed for r in result.failures)


def _freshness_entry(table: str, status: str, age_s: float) -> dict[str, Any]:
    return {
        "unique_id": f"source.marketplace.marketplace.{table}",
        "max_loaded_at": "2026-01-01T00:00:00+00:00",
        "snapshotted_at": "2026-01-02T00:00:00+00:00",
        "max_loaded_at_time_ago_in_s": age_s,
        "status": status,
        "criteria": {"warn_after": {"count": 12, "period": "hour"}, "error_after": {"count": 24, "period": "hour"}},
    }


def test_dbt_freshness_joins_the_raw_verdict(
    source_db: Any, good_raw: dict[str, Schema], bq: Any, tmp_path: Path
) -> None:
    sources = tmp_path / "sources.json"
    sources.write_text(
        json.dumps(
            {
                "results": [
                    _freshness_entry("users", "pass", 600),
                    _freshness_entry("orders", "warn", 13 * 3600),
                    _freshness_entry("payments", "error", 30 * 3600),
                    {"unique_id": "source.marketplace.marketplace.reviews", "status": "runtime error", "error": "boom"},
                ]
            }
        )
    )
    extra = freshness_outcomes(sources)
    assert [o.success for o in extra] == [True, True, False, False]
    with pytest.raises(GateFailed) as failed:
        run_gate(source_db, "raw", "test-raw-freshness", extra_outcomes=extra, build_docs=False)
    message = str(failed.value)
    assert "FAIL raw payments: time since the newest raw row (dbt source freshness) -- observed 30.0 h" in message
    assert "expected warn after 12 hour(s), error after 24 hour(s)" in message
    assert "FAIL raw reviews" in message and "not measured (boom)" in message
    rows = bq.query(
        f"SELECT `table`, success FROM `{source_db.bq_project}.{source_db.marts_dataset}.quality_gate_results` "
        "WHERE run_id = 'test-raw-freshness' AND expectation = 'dbt_source_freshness' ORDER BY `table`"
    ).result()
    assert [(r["table"], r["success"]) for r in rows] == [
        ("orders", True),
        ("payments", False),
        ("reviews", False),
        ("users", True),
    ]


def test_missing_freshness_artifact_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="run `dbt source freshness`"):
        freshness_outcomes(tmp_path / "sources.json")


def _payments(good_raw: dict[str, Schema], amounts: list[tuple[str, float | None]]) -> list[dict[str, Any]]:
    rows = raw_rows(len(amounts))
    for row, (status, amount) in zip(rows, amounts, strict=True):
        row.update({"status": status, "amount": None if amount is None else str(amount)})
    return rows


def test_completed_payments_without_a_valid_amount_fail_the_raw_gate_above_one_percent(
    source_db: Any, good_raw: dict[str, Schema], make_table: MakeTable
) -> None:
    # 1 completed payment without amount out of 100 completed: 1 %, at the threshold; refunds are
    # negative by design and failed attempts may have no amount, so neither counts
    fine = [("completed", 10.0)] * 99 + [("completed", None), ("refunded", -10.0), ("failed", None)]
    make_table("raw", "payments", good_raw["payments"], _payments(good_raw, fine))
    result = run_gate(source_db, "raw", "test-raw-money-pass", build_docs=False)
    money = next(r for r in result.results if r.expectation == "completed_amount_missing_or_negative_pct")
    assert result.success and money.observed_value == 1.0

    bad = [("completed", 10.0)] * 98 + [("completed", None), ("completed", -3.5)]
    make_table("raw", "payments", good_raw["payments"], _payments(good_raw, bad))
    with pytest.raises(GateFailed) as failed:
        run_gate(source_db, "raw", "test-raw-money-fail", build_docs=False)
    (failure,) = failed.value.result.failures
    assert failure.line == (
        "FAIL raw payments: completed payments in raw with amount NULL or < 0, in % of completed payments "
        "-- observed 2, expected <= 1"
    )


def test_declared_types_are_the_raw_contract(source_db: Any, good_raw: dict[str, Schema]) -> None:
    """A declaration that says users.is_active is an integer makes the (boolean) raw column wrong."""
    streams = PROJECT_ROOT / "airbyte" / "streams"
    declarations = {p.stem: yaml.safe_load(p.read_text()) for p in streams.glob("*.yml") if p.name != "_catalog.yml"}
    declarations["users"]["columns"]["is_active"] = "int4"
    config = load_config(catalog=parse_catalog(declarations))
    with pytest.raises(GateFailed) as failed:
        run_gate(source_db, "raw", "test-raw-declared", config=config, build_docs=False)
    (failure,) = failed.value.result.failures
    assert (failure.table, failure.expectation) == ("users", "raw_contract")
    assert failure.observed == "1 (is_active is BOOL (expected INT64))"


def test_a_source_column_missing_from_raw_fails_even_before_it_is_declared(
    source_db: Any, good_raw: dict[str, Schema]
) -> None:
    import psycopg

    with psycopg.connect(source_db.source_admin_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE categories ADD COLUMN icon_url text")
        try:
            result = run_gate(source_db, "raw", "test-raw-drift", build_docs=False, raise_on_failure=False)
        finally:
            conn.execute("ALTER TABLE categories DROP COLUMN icon_url")
    (failure,) = result.failures
    assert (failure.table, failure.expectation) == ("categories", "raw_contract")
    assert failure.observed == "1 (missing icon_url)"
