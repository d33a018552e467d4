"""dbt source freshness as raw-gate expectations, so one gate verdict covers both.

The raw gate's DAG task runs ``dbt source freshness`` (thresholds live in the dbt sources file),
then passes :func:`freshness_outcomes` of the ``sources.json`` it wrote to
``run_gate(..., extra_outcomes=...)``: each source table becomes one line, one JSON entry and one
``quality_gate_results`` row next to the GX expectations. ``warn`` passes (and says so), ``error``
and ``runtime error`` fail the gate.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from marketplace_elt.errors import UserError
from marketplace_elt.quality.results import CheckOutcome

EXPECTATION = "dbt_source_freshness"


def _criteria(criteria: dict[str, Any] | None) -> str:
    parts = []
    for key, label in (("warn_after", "warn after"), ("error_after", "error after")):
        rule = (criteria or {}).get(key) or {}
        if rule.get("count") and rule.get("period"):
            parts.append(f"{label} {rule['count']} {rule['period']}(s)")
    return ", ".join(parts) or "no threshold"


def _age(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 3600 else f"{seconds / 60:.0f} min"


def freshness_outcomes(sources_json: Path, layer: str = "raw") -> list[CheckOutcome]:
    """One :class:`CheckOutcome` per source in a dbt ``sources.json`` artifact."""
    try:
        artifact = json.loads(sources_json.read_text())
    except FileNotFoundError:
        raise UserError(
            f"no dbt freshness result at {sources_json}; run `dbt source freshness` before the raw gate"
        ) from None
    except ValueError:
        raise UserError(f"{sources_json} is not valid JSON; rerun `dbt source freshness`") from None
    outcomes = []
    for entry in artifact.get("results", []):
        table = str(entry.get("unique_id", "?")).split(".")[-1]
        status = str(entry.get("status", "runtime error"))
        age = entry.get("max_loaded_at_time_ago_in_s")
        if status == "runtime error" or age is None:
            observed = f"not measured ({entry.get('error') or status})"
        else:
            observed = f"{_age(float(age))} since the newest row (loaded {entry.get('max_loaded_at')}), {status}"
        outcomes.append(
            CheckOutcome(
                layer=layer,
                table=table,
                expectation=EXPECTATION,
                description="time since the newest raw row (dbt source freshness)",
                success=status in ("pass", "warn"),
                observed=observed,
                observed_value=float(age) if age is not None else None,
                threshold=_criteria(entry.get("criteria")),
            )
        )
    return outcomes
