"""marketplace_finance_export: finance's reconciliation export, run after each successful publish.

Thin on purpose: defined in `marketplace_elt.orchestration.finance_export_dag` from the settings;
Airflow schedules it on the published `fct_payment_reconciliation` asset, not on a clock.
"""

from marketplace_elt.orchestration.finance_export_dag import build_finance_export_dag

dag = build_finance_export_dag()
