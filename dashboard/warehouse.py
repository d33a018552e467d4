"""The dashboard's only way to the warehouse: the published marts, read with google-cloud-bigquery.

This process runs in its own virtualenv (.venv-dashboard) and never imports the platform package:
`marketplace-elt dashboard start` (or docker-compose) hands it the configuration as environment
variables derived from the platform's settings:

    DASHBOARD_BQ_PROJECT     GCP project of the marts (settings.bq_project)
    DASHBOARD_BQ_LOCATION    job location (settings.bq_location)
    DASHBOARD_BQ_ENDPOINT    emulator base URL (settings.bq_emulator_url); empty = real BigQuery, ADC
    DASHBOARD_MARTS_DATASET  the published marts (settings.marts_dataset), never the audit build
    DASHBOARD_CACHE_SECONDS  how long a query result is reused (default 300)

Every figure on screen is a column of a published mart or an aggregate of one, computed in SQL by
BigQuery (SUM, COUNT) the same way the marts and the run ledger compute it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from google.api_core import exceptions as gexc
from google.cloud import bigquery

# The only tables the dashboard reads, all in the published marts dataset.
PUBLISHED_TABLES = frozenset(
    {
        "fct_orders",
        "fct_daily_sales",
        "fct_payment_reconciliation",
        "fct_seller_performance",
        "dim_users",
        "dim_products",
        "fct_customer_cohorts",
        "mart_audit_daily",
        "mart_audit_rolling",
        "mart_audit_top3",
        "audit_run_ledger",
        "quality_gate_results",
    }
)
_NAME = re.compile(r"[A-Za-z0-9_]{1,1024}")
_PROJECT = re.compile(r"[A-Za-z0-9.:_-]+")


class TableMissing(Exception):
    """A mart that has not been published yet (a fresh warehouse, or gates that never ran)."""


@dataclass(frozen=True)
class Target:
    project: str
    location: str
    endpoint: str
    dataset: str
    cache_seconds: int

    @classmethod
    def from_env(cls) -> Target:
        project = os.environ.get("DASHBOARD_BQ_PROJECT") or "marketplace-analytics"
        dataset = os.environ.get("DASHBOARD_MARTS_DATASET") or "marts"
        if not _PROJECT.fullmatch(project):
            raise ValueError(f"DASHBOARD_BQ_PROJECT={project!r} is not a GCP project id")
        if not _NAME.fullmatch(dataset) or dataset.endswith("__audit"):
            raise ValueError(f"DASHBOARD_MARTS_DATASET={dataset!r} is not the published marts dataset")
        return cls(
            project=project,
            location=os.environ.get("DASHBOARD_BQ_LOCATION") or "US",
            endpoint=os.environ.get("DASHBOARD_BQ_ENDPOINT", ""),
            dataset=dataset,
            cache_seconds=int(os.environ.get("DASHBOARD_CACHE_SECONDS") or "300"),
        )

    @property
    def where(self) -> str:
        engine = f"emulator {self.endpoint}" if self.endpoint else "BigQuery"
        return f"{engine} · `{self.project}.{self.dataset}`"


TARGET = Target.from_env()


@st.cache_resource(show_spinner=False)
def _client() -> bigquery.Client:
    """Anonymous against the emulator, Application Default Credentials otherwise.

    The same construction as `marketplace_elt.bigquery.client`, written again because this app runs
    in its own virtualenv, which does not install the platform package.
    """
    if TARGET.endpoint:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=TARGET.project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=TARGET.endpoint),
            location=TARGET.location,
        )
    return bigquery.Client(project=TARGET.project, location=TARGET.location)


def table(name: str) -> str:
    """The fully qualified, quoted name of a published mart."""
    if name not in PUBLISHED_TABLES:
        raise ValueError(f"{name} is not a published mart the dashboard may read")
    return f"`{TARGET.project}.{TARGET.dataset}.{name}`"


def _parameter(name: str, value: Any) -> bigquery.ScalarQueryParameter:
    kinds = {bool: "BOOL", int: "INT64", float: "FLOAT64", str: "STRING"}
    kind = next((k for t, k in kinds.items() if type(value) is t), "DATE")
    return bigquery.ScalarQueryParameter(name, kind, value)


@st.cache_data(ttl=TARGET.cache_seconds, show_spinner="Querying the marts ...")
def _run(sql: str, params: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    config = bigquery.QueryJobConfig(query_parameters=[_parameter(n, v) for n, v in params])
    try:
        result = _client().query(sql, job_config=config).result()
    except gexc.NotFound as exc:
        raise TableMissing(str(exc).splitlines()[0][:300]) from None
    frame = pd.DataFrame([dict(row.items()) for row in result], columns=[f.name for f in result.schema])
    for field in result.schema:
        if field.field_type in ("NUMERIC", "BIGNUMERIC", "FLOAT", "FLOAT64"):
            frame[field.name] = pd.to_numeric(frame[field.name], errors="coerce").astype("float64")
        elif field.field_type == "DATE":
            frame[field.name] = pd.to_datetime(frame[field.name])
    return frame


def query(sql: str, **params: Any) -> pd.DataFrame:
    """Rows of ``sql`` (with ``{table_name}`` placeholders for marts) as a DataFrame, cached."""
    names = {name: table(name) for name in PUBLISHED_TABLES if "{" + name + "}" in sql}
    return _run(sql.format(**names), tuple(sorted(params.items())))


def query_or_note(sql: str, what: str, **params: Any) -> pd.DataFrame | None:
    """Like :func:`query`, but a mart that is not published yet is a note on the page, not an error."""
    try:
        return query(sql, **params)
    except TableMissing:
        st.info(f"{what} is not published yet: run the pipeline (`make run`) and reload.")
        return None


def number(value: Any) -> float:
    """A NUMERIC/FLOAT/NULL cell as a float (NULL: 0)."""
    return 0.0 if value is None or pd.isna(value) else float(value)


def usd(value: Any) -> str:
    return f"${number(value):,.2f}"


def count(value: Any) -> str:
    return f"{int(number(value)):,}"


def percent(value: Any, digits: int = 1) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value) * 100:.{digits}f}%"


def footer() -> None:
    st.caption(f"Source: published marts on {TARGET.where}. Results are cached for {TARGET.cache_seconds}s.")
