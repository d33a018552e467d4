"""The `marketplace_finance_export` DAG: scheduled on the published payment reconciliation mart.

It has no clock schedule: Airflow starts it when `marketplace_elt`'s `publish_marts` emits the
`fct_payment_reconciliation` asset, i.e. only after a run whose marts passed every gate. A failed
gate publishes nothing, emits no asset event, and this DAG does not run.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from marketplace_elt.settings import Settings, get_settings

if TYPE_CHECKING:
    from airflow.sdk import DAG

DAG_ID = "marketplace_finance_export"
EXPORTED_MART = "fct_payment_reconciliation"

DOC_MD = f"""
### {DAG_ID} — finance's reconciliation file, after every successful publish

Scheduled on the asset of the published `{EXPORTED_MART}` (see `marketplace_elt`'s `publish_marts`).
`export_payment_reconciliation` writes the published table to
`$MELT_HOME/exports/{EXPORTED_MART}/<publishing run id>.csv` (written aside, then renamed: a rerun
rewrites the same file). Runbook: docs/runbook.md#finance-export.
"""


def build_finance_export_dag(settings: Settings | None = None) -> DAG:
    from airflow.providers.standard.operators.python import PythonOperator
    from airflow.sdk import DAG

    from marketplace_elt.orchestration import tasks
    from marketplace_elt.orchestration.alerts import notify_failure
    from marketplace_elt.orchestration.assets import mart_asset

    settings = settings or get_settings()
    with DAG(
        dag_id=DAG_ID,
        description=f"Export the published {EXPORTED_MART} after each successful publish (asset-scheduled)",
        doc_md=DOC_MD,
        schedule=[mart_asset(settings, EXPORTED_MART)],
        start_date=datetime(2026, 1, 1),
        catchup=False,
        max_active_runs=1,
        default_args={
            "owner": "finance-analytics",
            "retries": 2,
            "retry_delay": timedelta(seconds=30),
            "on_failure_callback": notify_failure,
        },
        tags=["marketplace", "finance", "export"],
    ) as dag:
        PythonOperator(
            task_id="export_payment_reconciliation",
            python_callable=tasks.export_mart,
            op_kwargs={"table": EXPORTED_MART},
            inlets=[mart_asset(settings, EXPORTED_MART)],  # reported as its input in OpenLineage
        )
    return dag
