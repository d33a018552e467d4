"""The raw contract, as the raw gate checks it: which columns a raw table must have, with which types.

Every raw table holds the four Airbyte metadata columns, then every column of its source table under
the source name, typed by :data:`SOURCE_TO_BIGQUERY`. The expected columns are the ones the stream
catalog declares (airbyte/streams/<stream>.yml, types mapped here), plus any column the live source
has beyond them, so a column added in PostgreSQL but not yet carried into BigQuery fails the gate
(schema drift) instead of silently disappearing downstream.
"""

from __future__ import annotations

from collections.abc import Sequence

AIRBYTE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_airbyte_raw_id", "STRING"),
    ("_airbyte_extracted_at", "TIMESTAMP"),
    ("_airbyte_meta", "JSON"),
    ("_airbyte_generation_id", "INT64"),
)

# PostgreSQL udt_name -> BigQuery type of the raw column.
SOURCE_TO_BIGQUERY: dict[str, str] = {
    "uuid": "STRING",
    "varchar": "STRING",
    "bpchar": "STRING",
    "text": "STRING",
    "int2": "INT64",
    "int4": "INT64",
    "int8": "INT64",
    "numeric": "NUMERIC",
    "bool": "BOOL",
    "timestamptz": "TIMESTAMP",
    "timestamp": "DATETIME",
    "jsonb": "JSON",
    "json": "JSON",
}


def bigquery_type(data_type: str, udt_name: str) -> str | None:
    """BigQuery type a source column lands as; None when the contract does not pin it."""
    if data_type == "ARRAY" or udt_name.startswith("_"):
        return "JSON"
    return SOURCE_TO_BIGQUERY.get(udt_name)


def expected_columns(
    source_columns: list[tuple[str, str, str]], declared: Sequence[tuple[str, str]] = ()
) -> list[tuple[str, str | None]]:
    """``[(column, bigquery type or None)]`` a raw table must have: the Airbyte columns, the columns
    the stream catalog declares (with their declared types), then any live source column the
    declaration does not list yet (schema drift: typed from the source)."""
    names = {name for name, _ in declared}
    live = [(name, bigquery_type(dt, udt)) for name, dt, udt in source_columns if name not in names]
    return [*AIRBYTE_COLUMNS, *declared, *live]


def normalise_type(bigquery_data_type: str) -> str:
    """``NUMERIC(12, 2)`` -> ``NUMERIC``; legacy names (INTEGER, BOOLEAN, FLOAT) -> standard SQL names."""
    base = bigquery_data_type.split("(", 1)[0].split("<", 1)[0].strip().upper()
    return {"INTEGER": "INT64", "BOOLEAN": "BOOL", "FLOAT": "FLOAT64"}.get(base, base)


def contract_problems(expected: list[tuple[str, str | None]], actual: dict[str, str]) -> list[str]:
    """Human-readable list of missing or mistyped columns (empty when the table honours the contract)."""
    problems: list[str] = []
    missing = [name for name, _ in expected if name not in actual]
    if missing:
        problems.append("missing " + ", ".join(missing))
    for name, want in expected:
        have = actual.get(name)
        if have is not None and want is not None and normalise_type(have) != want:
            problems.append(f"{name} is {normalise_type(have)} (expected {want})")
    return problems


def problem_count(expected: list[tuple[str, str | None]], actual: dict[str, str]) -> int:
    """Number of expected columns that are missing or have the wrong type."""
    return sum(
        1
        for name, want in expected
        if name not in actual or (want is not None and normalise_type(actual[name]) != want)
    )
