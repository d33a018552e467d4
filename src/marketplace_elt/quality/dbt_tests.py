"""dbt data tests as gate expectations, for a publish that runs outside the DAG.

dbt tests own keys, not-null, accepted values and business rules (GMV >= 0, error rates are
shares...). In the DAG they run inside the Cosmos task of each mart, so `gate_marts` only starts
when they passed. `marketplace-elt marts publish` run by hand has no such guarantee: it runs the
marts' dbt tests on the build first and judges them with the GX checks, one verdict, one record.
A warn-severity test passes (and says so); a failing or erroring one fails the gate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marketplace_elt.errors import UserError
from marketplace_elt.quality.results import CheckOutcome
from marketplace_elt.settings import Settings
from marketplace_elt.transform import run_dbt

# What the marts layer's tests cover: the models (their yml tests) and the singular tests that read
# a mart; the ledger is written by the publish itself, after the gate.
MARTS_SELECT = ("path:models/marts", "path:tests/marts")
MARTS_EXCLUDE = ("audit_run_ledger",)


def _tested_model(node: dict[str, Any]) -> str:
    attached = node.get("attached_node") or next(iter(node.get("depends_on", {}).get("nodes", [])), "")
    return str(attached).split(".")[-1] or str(node.get("name", "?"))


def outcomes_from_artifacts(target: Path, layer: str) -> list[CheckOutcome]:
    """One :class:`CheckOutcome` per data test in dbt's ``run_results.json`` (with ``manifest.json``)."""
    try:
        results = json.loads((target / "run_results.json").read_text()).get("results", [])
        nodes = json.loads((target / "manifest.json").read_text()).get("nodes", {})
    except (OSError, ValueError):
        raise UserError(f"dbt left no readable test results in {target}; rerun `dbt test` and read its log") from None
    outcomes = []
    for result in results:
        unique_id = str(result.get("unique_id", ""))
        if not unique_id.startswith("test."):
            continue
        node = nodes.get(unique_id, {})
        status = str(result.get("status", "error"))
        failures = result.get("failures")
        if status == "error" or failures is None:
            observed = f"not measured ({(result.get('message') or status).splitlines()[0]})"
        else:
            observed = f"{failures} failing rows" + (" (severity warn)" if status == "warn" else "")
        outcomes.append(
            CheckOutcome(
                layer=layer,
                table=_tested_model(node),
                expectation=f"dbt_test:{node.get('name', unique_id.split('.')[2])}",
                description=f"dbt test {node.get('name', unique_id)}",
                success=status in ("pass", "warn"),
                observed=observed,
                observed_value=float(failures) if failures is not None else None,
                threshold="0 failing rows",
            )
        )
    return outcomes


def marts_test_outcomes(settings: Settings) -> list[CheckOutcome]:
    """Run the marts' dbt data tests on the build (``<marts>__audit``) and return their verdicts."""
    args = ["test", "--quiet", "--exclude-resource-type", "unit_test", "--select", *MARTS_SELECT]
    results = settings.dbt_target_dir / "run_results.json"
    before = results.stat().st_mtime_ns if results.exists() else None
    exit_code = run_dbt(settings, [*args, "--exclude", *MARTS_EXCLUDE], check=False)
    if not results.exists() or results.stat().st_mtime_ns == before:  # dbt stopped before testing
        raise UserError(f"`dbt test` on the marts ran no test (exit {exit_code}); read the dbt output above")
    outcomes = outcomes_from_artifacts(settings.dbt_target_dir, "marts")
    if not outcomes:
        raise UserError("dbt ran no marts test; check `dbt ls --select path:models/marts` lists the marts")
    return outcomes
