"""The batch check of orders.confirmed_at's zone, on a private generated source (real services).

The generator writes confirmed_at in the documented zone except for the `confirmed_at_wrong_zone`
rows, which it writes in the other zone (America/New_York local time when the documented zone is
UTC). With that fault at rate 1 every confirmation is New York local time: read as UTC (the default
SOURCE_TIMEZONE) the warn test must say so and name the offset it found (-4 or -5 hours); read as
America/New_York it must pass.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from marketplace_elt.bigquery import query_rows
from marketplace_elt.settings import Settings
from tests.isolation import create, drop, isolated_settings

TEST = "orders_confirmed_at_offset_matches_source_timezone"


@pytest.fixture(scope="module")
def local_time_source(services: Settings) -> Iterator[Settings]:
    """A source whose every confirmed_at is New York wall-clock time, loaded into a private raw dataset."""
    from marketplace_elt.el import sync
    from marketplace_sim import init, seed

    isolated = dataclasses.replace(
        isolated_settings(services, "tzcheck", prefix="dbt", all_datasets=True), source_timezone="UTC"
    )
    create(services, isolated)
    init(isolated)
    seed(isolated, scale=0.05, seed=5, reset=True, fault_rates={"all": 0, "confirmed_at_wrong_zone": 1.0})
    assert all(r.status == "succeeded" for r in sync(isolated, ["orders"]))
    yield isolated
    if not os.environ.get("TEST_KEEP_SERVICES"):
        drop(services, isolated)


def run_check(settings: Settings, zone: str) -> tuple[str, list[dict[str, Any]]]:
    """Build stg_marketplace__orders reading confirmed_at in ``zone``, run the check: (status, rows)."""
    from marketplace_elt.transform import run_dbt

    in_zone = dataclasses.replace(settings, source_timezone=zone)
    run_dbt(in_zone, ["run", "--select", "stg_marketplace__orders"])
    run_dbt(in_zone, ["test", "--select", TEST], check=False)
    results = json.loads((in_zone.dbt_target_dir / "run_results.json").read_text())["results"]
    (result,) = [r for r in results if r["unique_id"].split(".")[2] == TEST]
    return str(result["status"]), query_rows(in_zone, str(result["compiled_code"]))


def test_local_times_read_as_utc_warn_with_the_offset_found(local_time_source: Settings) -> None:
    status, rows = run_check(local_time_source, "UTC")
    assert status == "warn"
    (row,) = rows
    assert row["estimated_offset_hours"] in (-5, -4)  # EST / EDT
    assert row["configured_min_minutes"] == row["configured_max_minutes"] == 0
    assert f"UTC{row['estimated_offset_hours']} h" in row["message"] and "SOURCE_TIMEZONE=UTC" in row["message"]


def test_local_times_read_in_their_zone_pass(local_time_source: Settings) -> None:
    status, rows = run_check(local_time_source, "America/New_York")
    assert status == "pass" and rows == []
