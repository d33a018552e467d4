"""Observed values of a gate's checks, computed where the data lives.

Each check is one number (a count of bad rows, a row count, a percentage, a custom aggregate). The
number is computed by an aggregate query in BigQuery -- one query per table, each check a scalar
subquery -- so a gate never pulls a table into memory; the source side of reconciliations is a
COUNT in PostgreSQL. Great Expectations then judges the numbers (see ``checkpoint.py``).

When a query fails (a renamed column, a missing table) only the checks it carried fail: the table's
checks are retried one by one so the error lands on the check that caused it.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from marketplace_elt.errors import UserError
from marketplace_elt.quality import raw_contract
from marketplace_elt.quality.config import CheckSpec
from marketplace_elt.quality.source import SourceReader
from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery

log = logging.getLogger(__name__)

SAMPLE_SIZE = 5  # offending values quoted in a failure message


@dataclass(frozen=True)
class Observation:
    """What a check saw: its value (None when it could not be computed), a detail, or an error."""

    value: float | None
    detail: str | None = None
    error: str | None = None


class MetricQueries:
    """Builds and runs the BigQuery side of a layer's checks."""

    def __init__(self, settings: Settings, bq: bigquery.Client) -> None:
        self.settings = settings
        self.bq = bq
        self.datasets = {
            "raw": settings.raw_dataset,
            "staging": settings.staging_dataset,
            # Gates check the marts where they are built, before they are published (publish/marts.py).
            "marts": settings.marts_audit_dataset,
        }

    # -- naming ----------------------------------------------------------------------------------
    def table_ref(self, dataset: str, table: str) -> str:
        return f"`{self.settings.bq_project}.{self.datasets[dataset]}.{table}`"

    def expand(self, text: str, spec: CheckSpec) -> str:
        """Fill ``{table}`` (this check's table, quoted) and ``{raw}``/``{staging}``/``{marts}``."""
        out = text.replace("{table}", self.table_ref(spec.dataset, spec.table))
        for symbolic, real in self.datasets.items():
            out = out.replace("{" + symbolic + "}", f"{self.settings.bq_project}.{real}")
        return out

    # -- SQL of one check ------------------------------------------------------------------------
    def scalar_sql(self, spec: CheckSpec, params: list[Any]) -> tuple[str, str | None]:
        """(value subquery, detail subquery or None) for a BigQuery-computed check."""
        from google.cloud import bigquery as bqlib

        t = self.table_ref(spec.dataset, spec.table)
        where = f"({self.expand(spec.where, spec)})" if spec.where else "TRUE"
        col = f"`{spec.column}`" if spec.column else ""
        n = SAMPLE_SIZE
        if spec.expect == "row_count":
            return f"(SELECT COUNT(*) FROM {t} WHERE {where})", None
        if spec.expect == "matches_source":
            counted = f"COUNT(DISTINCT `{spec.distinct}`)" if spec.distinct else "COUNT(*)"
            return f"(SELECT {counted} FROM {t} WHERE {where})", None
        if spec.expect == "not_null":
            return f"(SELECT COUNTIF({col} IS NULL) FROM {t} WHERE {where})", None
        if spec.expect == "unique":
            value = f"(SELECT COUNT({col}) - COUNT(DISTINCT {col}) FROM {t} WHERE {where})"
            detail = (
                f"(SELECT STRING_AGG(v, ', ') FROM (SELECT CAST({col} AS STRING) AS v FROM {t} "
                f"WHERE {where} AND {col} IS NOT NULL GROUP BY v HAVING COUNT(*) > 1 ORDER BY v LIMIT {n}))"
            )
            return value, detail
        if spec.expect == "accepted_values":
            name = f"p{len(params)}"
            kind = {str: "STRING", int: "INT64", bool: "BOOL"}[type(spec.values[0])]
            params.append(bqlib.ArrayQueryParameter(name, kind, list(spec.values)))
            bad = f"{col} IS NOT NULL AND {col} NOT IN UNNEST(@{name})"
            value = f"(SELECT COUNTIF({bad}) FROM {t} WHERE {where})"
            detail = (
                f"(SELECT STRING_AGG(v, ', ') FROM (SELECT DISTINCT CAST({col} AS STRING) AS v FROM {t} "
                f"WHERE {where} AND {bad} ORDER BY v LIMIT {n}))"
            )
            return value, detail
        if spec.expect == "between":
            lo, hi = spec.range
            outside = " OR ".join(
                part
                for part in (f"{col} < {lo!r}" if lo is not None else "", f"{col} > {hi!r}" if hi is not None else "")
                if part
            )
            value = f"(SELECT COUNTIF({outside}) FROM {t} WHERE {where})"
            detail = (
                f"(SELECT CONCAT('min ', IFNULL(CAST(MIN({col}) AS STRING), 'none'), ', max ', "
                f"IFNULL(CAST(MAX({col}) AS STRING), 'none')) FROM {t} WHERE {where})"
            )
            return value, detail
        if spec.expect == "references" and spec.ref is not None:
            r = self.table_ref(spec.ref.dataset, spec.ref.table)
            orphans = (
                f"(SELECT t.v FROM (SELECT {col} AS v FROM {t} WHERE {where}) AS t "
                f"LEFT JOIN (SELECT DISTINCT `{spec.ref.column}` AS rv FROM {r}) AS r ON t.v = r.rv "
                f"WHERE t.v IS NOT NULL AND r.rv IS NULL)"
            )
            value = f"(SELECT COUNT(*) FROM {orphans})"
            detail = (
                f"(SELECT STRING_AGG(v, ', ') FROM (SELECT DISTINCT CAST(v AS STRING) AS v FROM {orphans} "
                f"ORDER BY v LIMIT {n}))"
            )
            return value, detail
        if spec.expect == "metric" and spec.sql:
            return f"(SELECT {self.expand(spec.sql, spec)} FROM {t} WHERE {where})", None
        raise UserError(f"check {spec.key} of kind {spec.expect} is not computed in BigQuery; fix the quality config")

    # -- running ---------------------------------------------------------------------------------
    def run(self, specs: Sequence[CheckSpec]) -> dict[str, tuple[Any, Any]]:
        """Evaluate the checks of one table in a single query: ``key -> (value, detail)``.

        Raises the BigQuery error when the query fails (the caller then retries check by check).
        """
        from google.cloud import bigquery as bqlib

        params: list[Any] = []
        select: list[str] = []
        for i, spec in enumerate(specs):
            value_sql, detail_sql = self.scalar_sql(spec, params)
            select.append(f"{value_sql} AS m{i}")
            select.append(f"{detail_sql or 'CAST(NULL AS STRING)'} AS d{i}")
        sql = "SELECT " + ",\n  ".join(select)
        job = self.bq.query(sql, job_config=bqlib.QueryJobConfig(query_parameters=params))
        (row,) = list(job.result())
        return {spec.key: (row[f"m{i}"], row[f"d{i}"]) for i, spec in enumerate(specs)}

    def columns_of(self, dataset: str) -> dict[str, dict[str, str]]:
        """``table -> {column: data_type}`` of every table and view in a dataset."""
        ds = f"`{self.settings.bq_project}.{self.datasets[dataset]}`"
        rows = self.bq.query(f"SELECT table_name, column_name, data_type FROM {ds}.INFORMATION_SCHEMA.COLUMNS").result()
        out: dict[str, dict[str, str]] = defaultdict(dict)
        for row in rows:
            out[str(row["table_name"])][str(row["column_name"])] = str(row["data_type"])
        return dict(out)


def error_text(exc: BaseException) -> str:
    """The first sentence of a BigQuery/PostgreSQL error, without job ids and locations."""
    message = str(getattr(exc, "message", "") or exc).strip()
    first = message.splitlines()[0] if message else type(exc).__name__
    first = first.split("; reason:")[0]
    missing = _NOT_FOUND.match(first)
    if missing:
        return f"{missing.group(1).lower()} {missing.group(2)} not found"
    return first[:300]


_NOT_FOUND = re.compile(r"Not found: (Table|Dataset) (\S+) was not found")


def _as_number(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def observe(settings: Settings, bq: bigquery.Client, specs: Sequence[CheckSpec]) -> dict[str, Observation]:
    """Compute every check of a layer: ``check key -> Observation``."""
    queries = MetricQueries(settings, bq)
    out: dict[str, Observation] = {}
    source_counts: dict[str, int | Exception] = {}

    with SourceReader(settings) as source:
        # Raw contract: compare the dataset catalog with the source catalog (two queries in total).
        contract = [s for s in specs if s.expect == "raw_contract"]
        if contract:
            out.update(_observe_contract(queries, source, contract))

        # Source side of reconciliations (one COUNT per check, read-only connection).
        for spec in specs:
            if spec.expect != "matches_source" or spec.source_table is None:
                continue
            try:
                source_counts[spec.key] = source.count(spec.source_table, spec.source_distinct)
            except Exception as exc:
                source_counts[spec.key] = exc

    by_table: dict[tuple[str, str], list[CheckSpec]] = defaultdict(list)
    for spec in specs:
        if spec.expect != "raw_contract":
            by_table[(spec.dataset, spec.table)].append(spec)
    for group in by_table.values():
        try:
            computed = queries.run(group)
        except Exception as exc:
            log.debug("table query failed (%s); retrying check by check", error_text(exc))
            computed = {}
            for spec in group:
                try:
                    computed.update(queries.run([spec]))
                except Exception as one_exc:
                    out[spec.key] = Observation(None, error=error_text(one_exc))
        for key, (value, detail) in computed.items():
            out[key] = Observation(_as_number(value), detail=str(detail) if detail else None)

    for spec in specs:
        if spec.expect == "matches_source" and out.get(spec.key, Observation(None)).error is None:
            out[spec.key] = _reconcile(spec, out[spec.key], source_counts[spec.key])
    for spec in specs:
        obs = out[spec.key]
        if obs.value is None and obs.error is None:
            out[spec.key] = Observation(None, error="the query returned NULL (empty table or NULL inputs)")
    return out


def _reconcile(spec: CheckSpec, bq_side: Observation, source_side: int | Exception) -> Observation:
    if isinstance(source_side, Exception):
        return Observation(None, error=f"source count failed: {error_text(source_side)}")
    if bq_side.value is None:
        return Observation(None, error="BigQuery count returned NULL")
    bq_count = int(bq_side.value)
    diff_pct = abs(bq_count - source_side) * 100.0 / max(source_side, 1)
    return Observation(round(diff_pct, 4), detail=f"{bq_count} in BigQuery vs {source_side} in source")


def _observe_contract(
    queries: MetricQueries, source: SourceReader, specs: Sequence[CheckSpec]
) -> dict[str, Observation]:
    out: dict[str, Observation] = {}
    try:
        source_cols = source.columns(s.source_table or s.table for s in specs)
    except Exception as exc:
        return {s.key: Observation(None, error=f"source catalog unreadable: {error_text(exc)}") for s in specs}
    catalogs: dict[str, dict[str, dict[str, str]]] = {}
    for spec in specs:
        try:
            if spec.dataset not in catalogs:
                catalogs[spec.dataset] = queries.columns_of(spec.dataset)
        except Exception as exc:
            out[spec.key] = Observation(None, error=f"dataset catalog unreadable: {error_text(exc)}")
            continue
        actual = catalogs[spec.dataset].get(spec.table)
        src = source_cols.get(spec.source_table or spec.table)
        if actual is None:
            out[spec.key] = Observation(None, error=f"table {queries.datasets[spec.dataset]}.{spec.table} not found")
        elif src is None:
            out[spec.key] = Observation(None, error=f"source table {spec.source_table} not found")
        else:
            expected = raw_contract.expected_columns(src, spec.columns)
            problems = raw_contract.contract_problems(expected, actual)
            count = raw_contract.problem_count(expected, actual)
            out[spec.key] = Observation(float(count), detail="; ".join(problems) or None)
    return out
