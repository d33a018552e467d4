"""Great Expectations quality gates between the layers (raw -> staging -> intermediate -> marts).

Public API (what the Airflow DAG calls):

* :func:`run_gate` -- run one layer's gate; raises :class:`GateFailed` when it fails;
* :func:`build_data_docs` -- render the GX data docs, returns the index.html path;
* :class:`GateResult` / :class:`CheckOutcome` -- the verdicts, also stored as JSON and in BigQuery;
* :func:`freshness_outcomes` -- dbt ``source freshness`` results as outcomes to add to the raw gate.

Checks and thresholds live in ``thresholds.yml`` next to this module (docs/quality-gates.md).
"""

from __future__ import annotations

from marketplace_elt.quality.checkpoint import build_data_docs, data_docs_dir
from marketplace_elt.quality.config import DEFAULT_CONFIG_PATH, LAYERS, GateConfig, load_config
from marketplace_elt.quality.freshness import freshness_outcomes
from marketplace_elt.quality.gate import run_gate
from marketplace_elt.quality.results import CheckOutcome, GateFailed, GateResult, result_path

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "LAYERS",
    "CheckOutcome",
    "GateConfig",
    "GateFailed",
    "GateResult",
    "build_data_docs",
    "data_docs_dir",
    "freshness_outcomes",
    "load_config",
    "result_path",
    "run_gate",
]
