"""What each non-dbt task of the DAG does. Imported by the worker at run time, never at DAG parse.

Every callable is idempotent for its data interval: extract-load merges by key from saved cursors,
gates only read, the ledger row is merged on run_id, and publishing
replaces each mart with its audited build (write-audit-publish, `marketplace_elt.publish`).
"""

from __future__ import annotations

import logging
from typing import Any

from marketplace_elt.settings import get_settings
from marketplace_elt.transform.dbt import run_context_env, run_dbt

log = logging.getLogger(__name__)


def extract_load_stream(stream: str) -> dict[str, Any]:
    """Sync one stream with the embedded loader; returns its sync record (shown as XCom).

    A failure no rerun can fix (a source type change that needs a full refresh) fails the task
    without its retries, with the loader's one-line instruction as the reason.
    """
    from marketplace_elt.el import sync
    from marketplace_elt.el.sync_log import SyncFailed

    try:
        (result,) = sync(get_settings(), streams=[stream])
    except SyncFailed as exc:
        if exc.retryable:
            raise
        from airflow.sdk.exceptions import AirflowFailException

        raise AirflowFailException(str(exc)) from None
    return result.as_dict() if hasattr(result, "as_dict") else dict(vars(result))


def reconcile_deletes(job_id: Any = 0) -> dict[str, int]:
    """After an Airbyte sync: mark raw rows the source hard-deleted; returns rows marked per stream."""
    from marketplace_elt.el.deletes import reconcile_streams

    return reconcile_streams(get_settings(), sync_id=int(job_id or 0))


def gate_raw(run_id: str) -> None:
    """Source freshness (dbt) + the raw Great Expectations suite. Fails the task on a breach."""
    from marketplace_elt.quality import freshness_outcomes, run_gate
    from marketplace_elt.quality.schema_changes import schema_changes

    settings = get_settings()
    log.info("checking source freshness (warn 12 h, error 24 h on _airbyte_extracted_at)")
    # A freshness error is judged with the GX checks so one verdict (and one record) covers both.
    run_dbt(settings, ["source", "freshness"], check=False)
    outcomes = freshness_outcomes(settings.dbt_target_dir / "sources.json")
    # Drift is reported, not a failure: the loader already widened raw (docs/scaling.md, schema evolution).
    drift = schema_changes(settings)
    for line in drift:
        log.warning("source schema change: %s", line)
    if not drift:
        log.info("no source schema changes recorded in the last 7 days")
    run_gate(settings, "raw", run_id, extra_outcomes=outcomes)


def gate(layer: str, run_id: str) -> None:
    """The Great Expectations suite of one layer (staging, intermediate or marts)."""
    from marketplace_elt.quality import run_gate

    run_gate(get_settings(), layer, run_id)


def prepare_marts(run_id: str) -> dict[str, Any]:
    """Reset the audit dataset to the published marts, so this run builds on the last good version.

    Also drops what a failed or killed earlier build left there (`*__dbt_tmp` relations included).
    """
    from marketplace_elt.publish import prepare

    result = prepare(get_settings(), run_id)
    log.info("%s", result.line())
    return {"run_id": run_id, "tables": result.tables, "resumed_publish": result.resumed}


def publish_marts(run_id: str, data_interval_start: str, data_interval_end: str) -> dict[str, Any]:
    """After gate_marts passed: write this run's ledger row beside the marts, then publish them all.

    The previous published version is kept (`marketplace-elt marts rollback`); the reconciliation
    summary and where the data docs are go to the log.
    """
    from marketplace_elt.bigquery import query_rows
    from marketplace_elt.publish import publish
    from marketplace_elt.quality import data_docs_dir

    settings = get_settings()
    context = run_context_env(run_id, data_interval_start, data_interval_end)
    run_dbt(settings, ["run", "--select", "audit_run_ledger"], extra_env=context)
    result = publish(settings, run_id)
    log.info("%s", result.line())
    rows = query_rows(
        settings,
        f"SELECT reconciliation_status AS status, COUNT(*) AS orders "
        f"FROM `{settings.bq_project}.{settings.marts_dataset}.fct_payment_reconciliation` "
        f"GROUP BY 1 ORDER BY 2 DESC",
    )
    summary = {str(r["status"]): int(r["orders"]) for r in rows}
    log.info("payment reconciliation: %s", ", ".join(f"{k}={v}" for k, v in summary.items()))
    docs = data_docs_dir(settings)  # each gate already refreshed the docs incrementally
    log.info("data docs: %s (served at /gx-docs/ in the Airflow UI)", docs)
    return {"run_id": run_id, "published": result.tables, "reconciliation": summary, "data_docs": str(docs)}


def export_mart(table: str) -> dict[str, Any]:
    """Export a published mart to a CSV file named by the run that published it (idempotent)."""
    from marketplace_elt.publish.exports import export_published

    result = export_published(get_settings(), table)
    log.info("%s", result.line())
    return {"table": table, "publish_run_id": result.publish_run_id, "rows": result.rows, "path": str(result.path)}
