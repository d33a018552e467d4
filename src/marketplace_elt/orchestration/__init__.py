"""Airflow orchestration: the `marketplace_elt` DAG, its task callables, alerts and local Airflow."""
