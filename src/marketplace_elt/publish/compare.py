"""Incremental ≡ full refresh: rebuild the marts from scratch beside the incremental build, diff them.

    marketplace-elt marts compare     # full-refresh build into <marts>__shadow, then a row-by-row diff

The shadow build is `dbt run --full-refresh` of the marts with the marts build dataset pointed at
`<marts>__shadow` (staging and intermediate are read as they are). Each mart is then compared with
its incremental build in `<marts>__audit` by the `compare_datasets` macro (dbt/macros/
compare_relations.sql): a set-based diff that counts duplicates. Zero differing rows in every mart
is the only pass. The run ledger is left out: it holds one row per run by design, which a rebuild
cannot reproduce.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from marketplace_elt.errors import UserError
from marketplace_elt.publish.marts import RUN_LEDGER, published_models
from marketplace_elt.settings import Settings
from marketplace_elt.transform.dbt import run_dbt

log = logging.getLogger(__name__)

# Marts whose rows are a history of runs rather than a function of the data.
NOT_REBUILDABLE = (RUN_LEDGER,)


@dataclass(frozen=True)
class Comparison:
    models: list[str]
    identical: bool


def compared_models(settings: Settings) -> list[str]:
    return [m for m in published_models(settings) if m not in NOT_REBUILDABLE]


def compare_with_full_refresh(settings: Settings, against: str | None = None) -> Comparison:
    """Full-refresh the marts into the shadow dataset and diff them with ``against`` (default: audit)."""
    from marketplace_elt.bigquery import client, require_reachable

    target = against or settings.marts_audit_dataset
    shadow = settings.marts_shadow_dataset
    require_reachable(settings, client(settings), create_dataset=shadow)
    models = compared_models(settings)
    excluded = ",".join(NOT_REBUILDABLE)
    log.info("full-refresh build of %d marts into %s", len(models), shadow)
    run_dbt(
        settings,
        ["run", "--full-refresh", "--select", "path:models/marts", "--exclude", excluded],
        # Its own target dir: a changed env var of dbt_project.yml drops dbt's partial parse, which
        # the everyday target (and the next command) would otherwise pay for with a full re-parse.
        extra_env={"BQ_MARTS_BUILD_DATASET": shadow, "DBT_TARGET_PATH": str(settings.home / "dbt_target_shadow")},
    )
    log.info("comparing %s with %s, row by row", target, shadow)
    code = run_dbt(
        settings,
        ["run-operation", "compare_datasets", "--args", json.dumps({"a": target, "b": shadow, "models": models})],
        check=False,
    )
    if code != 0:
        raise UserError(
            f"incremental marts in {target} differ from a full refresh ({shadow}); the lines above name the "
            "models and sample rows: fix the incremental logic, then rebuild with `--full-refresh`"
        )
    return Comparison(models, identical=True)
