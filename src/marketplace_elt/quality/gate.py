"""Run one quality gate: observe, let Great Expectations judge, record, and fail loudly on a breach.

    result = run_gate(settings, "staging", run_id)   # raises GateFailed when an expectation fails

Steps: read the layer's checks from the config, compute each observed value in BigQuery /
PostgreSQL (``metrics.observe``), validate them with the layer's GX checkpoint
(``checkpoint.validate``), then store the result (JSON file + BigQuery rows), log one plain line per
expectation, rebuild the data docs, and raise :class:`GateFailed` if anything failed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from marketplace_elt.bigquery import client
from marketplace_elt.errors import UserError
from marketplace_elt.quality import checkpoint, metrics, results
from marketplace_elt.quality.config import (
    LAYERS,
    CheckSpec,
    GateConfig,
    describe_check,
    describe_threshold,
    load_config,
)
from marketplace_elt.quality.results import CheckOutcome, GateResult
from marketplace_elt.settings import Settings

log = logging.getLogger("marketplace_elt.quality")

_DETAIL_PREFIX = {"unique": "e.g. ", "references": "e.g. ", "accepted_values": "unexpected: "}


def run_gate(
    settings: Settings,
    layer: str,
    run_id: str,
    *,
    config: GateConfig | Path | str | None = None,
    raise_on_failure: bool = True,
    extra_outcomes: Sequence[CheckOutcome] = (),
    build_docs: bool = True,
) -> GateResult:
    """Run the gate of ``layer`` for ``run_id`` and return its result.

    ``config`` is a loaded :class:`GateConfig` or a path to a thresholds file (default: the packaged
    ``thresholds.yml``). ``extra_outcomes`` are verdicts computed elsewhere (e.g. dbt source
    freshness in the raw gate) that are recorded and judged with this gate's own. With
    ``raise_on_failure`` (the default) a failing gate raises :class:`GateFailed` after its result
    is stored.
    """
    if layer not in LAYERS:
        raise UserError(f"unknown quality gate layer {layer!r}; use one of {', '.join(LAYERS)}")
    cfg = config if isinstance(config, GateConfig) else load_config(config)
    specs = list(cfg.layer(layer).checks)
    if not specs:
        log.warning("quality gate %s has no checks configured in %s", layer, cfg.path)
    log.info("quality gate %s: %d expectations from %s (run %s)", layer, len(specs), cfg.path, run_id)

    bq = client(settings)
    observed = metrics.observe(settings, bq, specs) if specs else {}
    values = {key: obs.value for key, obs in observed.items() if obs.value is not None and obs.error is None}
    validation = checkpoint.validate(settings, layer, run_id, specs, values) if specs else None
    verdicts = validation.verdicts if validation else {}

    outcomes = [_outcome(spec, observed[spec.key], verdicts.get(spec.key, False)) for spec in specs]
    outcomes.extend(extra_outcomes)
    result = GateResult(
        layer=layer,
        run_id=run_id,
        success=all(o.success for o in outcomes),
        results=outcomes,
        checked_at=results.now(),
        extra={"config": str(cfg.path)},
    )
    for outcome in outcomes:
        (log.info if outcome.success else log.error)("%s", outcome.line)
    log.info("%s", result.summary())

    if validation:
        result.data_docs = checkpoint.data_docs_dir(settings) / "index.html"
        result.docs_page = validation.page
    results.write_file(settings, result)
    table_id = results.write_bigquery(settings, result, bq)
    log.info("gate result stored in %s and %s", result.result_file, table_id)
    if build_docs and validation:
        try:
            checkpoint.build_data_docs(settings, cfg.keep_runs, validation.resources)
        except Exception as exc:  # the docs are a view of the verdict, never a reason to change it
            log.warning("data docs not rebuilt (%s); run `marketplace-elt gates docs` to retry", exc)
    if raise_on_failure:
        result.raise_if_failed()
    return result


def _format_value(spec: CheckSpec, value: float) -> str:
    if spec.expect == "matches_source":
        return f"{value:g} %"
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _outcome(spec: CheckSpec, obs: metrics.Observation, success: bool) -> CheckOutcome:
    if obs.error is not None or obs.value is None:
        observed = f"nothing (could not compute: {obs.error})"
        success = False
    else:
        observed = _format_value(spec, obs.value)
        if obs.detail:
            observed += f" ({_DETAIL_PREFIX.get(spec.expect, '')}{obs.detail})"
    return CheckOutcome(
        layer=spec.layer,
        table=spec.table,
        expectation=spec.name,
        description=describe_check(spec),
        success=success,
        observed=observed,
        observed_value=obs.value if obs.error is None else None,
        threshold=describe_threshold(spec),
    )
