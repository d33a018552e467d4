"""Source columns and their raw types: the same mapping Airbyte's Postgres source + BigQuery destination use.

uuid/varchar/char/text -> STRING, smallint/integer/bigint -> INT64, numeric -> NUMERIC,
boolean -> BOOL, timestamptz -> TIMESTAMP, timestamp -> DATETIME, date -> DATE, jsonb/json -> JSON,
arrays -> JSON; anything else is loaded as its text form in a STRING column.

For every column this module also decides how the value travels: the SQL expression the COPY
selects (so the CSV text is unambiguous), the Arrow type it is parsed into, and the column type of
the per-sync staging table. JSON travels as text and is parsed by the MERGE (``PARSE_JSON``),
because BigQuery load jobs cannot write JSON columns from Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from psycopg import sql

# information_schema.columns.data_type -> BigQuery type
_BQ_TYPES: dict[str, str] = {
    "uuid": "STRING",
    "character varying": "STRING",
    "character": "STRING",
    "text": "STRING",
    "smallint": "INT64",
    "integer": "INT64",
    "bigint": "INT64",
    "numeric": "NUMERIC",
    "real": "FLOAT64",
    "double precision": "FLOAT64",
    "boolean": "BOOL",
    "timestamp with time zone": "TIMESTAMP",
    "timestamp without time zone": "DATETIME",
    "date": "DATE",
    "jsonb": "JSON",
    "json": "JSON",
    "ARRAY": "JSON",
}

_ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "NUMERIC": pa.decimal128(38, 9),
    "FLOAT64": pa.float64(),
    "BOOL": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "DATETIME": pa.timestamp("us"),
    "DATE": pa.date32(),
    "JSON": pa.string(),
}

# BigQuery NUMERIC holds 9 decimal places; wider source scales are rounded by PostgreSQL.
NUMERIC_SCALE = 9


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str  # information_schema data_type
    bq_type: str  # type of the raw column
    numeric_scale: int | None = None

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self.bq_type]

    @property
    def staging_type(self) -> str:
        """Type in the per-sync staging table: JSON arrives as STRING and is parsed by the MERGE."""
        return "STRING" if self.bq_type == "JSON" else self.bq_type

    def select_expr(self) -> sql.Composable:
        """What the COPY selects for this column (its CSV text is what Arrow parses)."""
        ident = sql.Identifier(self.name)
        if self.pg_type == "ARRAY":
            return sql.SQL("to_jsonb({})::text AS {}").format(ident, ident)
        if self.bq_type == "JSON":
            return sql.SQL("{}::text AS {}").format(ident, ident)
        if self.pg_type == "numeric" and (self.numeric_scale is None or self.numeric_scale > NUMERIC_SCALE):
            return sql.SQL("round({}, {})::numeric AS {}").format(ident, sql.Literal(NUMERIC_SCALE), ident)
        if self.bq_type == "STRING" and self.pg_type not in ("uuid", "character varying", "character", "text"):
            return sql.SQL("{}::text AS {}").format(ident, ident)
        return ident


def column_from_source(name: str, data_type: str, numeric_scale: int | None) -> Column:
    return Column(name=name, pg_type=data_type, bq_type=_BQ_TYPES.get(data_type, "STRING"), numeric_scale=numeric_scale)
