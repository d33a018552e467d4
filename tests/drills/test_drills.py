"""The cheapest fault drills, at a tiny scale, through the real code: they must pass.

The loader is SIGKILLed twice during real syncs (raw must equal the source after each rerun), and
a DAG run against an unreachable source must fail fast, alert a real local webhook and run nothing
downstream. The closing line has the exact `N passed, N failed` form CI reads.
"""

from __future__ import annotations

import re

import pytest

from marketplace_drills.base import DrillOptions
from marketplace_drills.runner import closing_line, run_drills
from marketplace_elt.settings import Settings


@pytest.mark.timeout(900)
def test_cheap_drills_pass(services: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    options = DrillOptions(scale=0.02, seed=3, trials=2, retry_delay_s=1, retries=0, random_seed=11)
    results = run_drills(services, options, only=["loader-kill", "source-unreachable"])
    out = capsys.readouterr().out
    by_name = {r.name: r for r in results}
    assert set(by_name) == {"loader-kill", "source-unreachable"}
    for result in results:
        assert result.passed, f"{result.name}: {result.summary}\n" + "\n".join(result.evidence)
    assert re.search(r"^PASS loader-kill: ", out, re.M)
    assert "duplicate keys 0, missing/stale 0" in out
    assert re.search(r"^PASS source-unreachable: ", out, re.M)
    assert closing_line(results) == "2 passed, 0 failed"


def test_closing_line_counts_failures() -> None:
    from marketplace_drills.base import DrillResult

    results = [DrillResult("a", True, ""), DrillResult("b", False, ""), DrillResult("c", False, "")]
    assert closing_line(results) == "1 passed, 2 failed"


@pytest.mark.timeout(1200)
def test_incremental_marts_equal_a_full_refresh(services: Settings, capfd: pytest.CaptureFixture[str]) -> None:
    """After a simulated day (updates, refunds, late rows, replays) the incremental marts equal a rebuild."""
    options = DrillOptions(scale=0.02, seed=5, random_seed=13)
    (result,) = run_drills(services, options, only=["incremental-equals-full"])
    out = capfd.readouterr().out  # dbt's own output (the per-model comparison lines) included
    assert result.passed, f"{result.summary}\n" + "\n".join(result.evidence) + "\n" + out[-3000:]
    compared = re.findall(r"compare (\w+): (\d+) differing rows", out)
    assert len(compared) >= 10 and all(n == "0" for _, n in compared), compared
    assert {"fct_orders", "fct_payment_reconciliation", "fct_seller_performance"} <= {m for m, _ in compared}
