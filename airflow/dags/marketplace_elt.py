"""marketplace_elt: extract-load -> dbt staging/intermediate/marts with quality gates between layers.

Thin on purpose: the DAG is defined in `marketplace_elt.orchestration.dag` from the one settings
object; this file only exposes it to Airflow. Configure it with environment variables
(`marketplace-elt config show`), not by editing this file.
"""

from marketplace_elt.orchestration.dag import build_dag

dag = build_dag()
