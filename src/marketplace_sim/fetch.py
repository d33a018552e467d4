"""Reading columns back from PostgreSQL into NumPy without a Python object per row.

One query scans the rows once: each row's fixed-width values are packed in their binary send format
and all rows aggregated into one bytea (``string_agg(uuid_send(a) || int8send(b) || ...)``), which
NumPy reads as a structured array in one call; text columns come as one separator-joined string
each, split by Arrow. The aggregates see the rows in the same order, and the result is then sorted
by the first column on the client (no sort on the server). Times travel as int64 Unix microseconds,
amounts as int64 hundredths, UUIDs as their 16 raw bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
import pyarrow as pa
import pyarrow.compute as pc

from marketplace_sim.columns import NEVER

_TYPES = {"uuid": "V16", "int8": ">i8", "bool": "u1"}
_SEND = {"uuid": "uuid_send", "int8": "int8send", "bool": "boolsend"}
_NULL_UUID = "'00000000-0000-0000-0000-000000000000'::uuid"
_SEPARATOR = "\x1e"  # ASCII record separator between text values: never part of generated text


def uuid(expr: str) -> tuple[str, str]:
    """A uuid column (NULL becomes the all-zero UUID)."""
    return f"coalesce({expr}, {_NULL_UUID})", "uuid"


def micros(expr: str) -> tuple[str, str]:
    """A timestamp(tz) column as Unix microseconds (NULL becomes NEVER)."""
    return f"coalesce((extract(epoch FROM {expr}) * 1000000)::int8, {NEVER})", "int8"


def cents(expr: str) -> tuple[str, str]:
    """A numeric amount in hundredths (NULL becomes 0)."""
    return f"coalesce(round({expr} * 100)::int8, 0)", "int8"


def integer(expr: str, default: int = 0) -> tuple[str, str]:
    return f"coalesce(({expr})::int8, {default})", "int8"


def flag(expr: str) -> tuple[str, str]:
    return f"coalesce(({expr})::bool, false)", "bool"


def text(expr: str) -> tuple[str, str]:
    """A text column (NULL becomes ''), returned as Arrow strings."""
    return f"coalesce(({expr})::text, '')", "text"


def _order(key: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    if key.dtype.kind == "V":  # raw UUIDs sort like PostgreSQL's uuid: bytewise
        words = np.ascontiguousarray(key).view(">u8").reshape(len(key), 2)
        return np.lexsort((words[:, 1], words[:, 0]))
    return np.argsort(key, kind="stable")


def fetch(
    conn: psycopg.Connection,
    columns: Sequence[tuple[str, str]],
    from_where: str,
    params: Sequence[object] = (),
) -> list[Any]:
    """Columns of ``SELECT <columns> <from_where>`` ordered by the first column (a unique key):
    NumPy arrays, and Arrow strings for :func:`text` columns.

    ``columns`` come from :func:`uuid`, :func:`micros`, :func:`cents`, :func:`integer`, :func:`flag`
    and :func:`text`; the SQL fragments are the simulator's own, never user input.
    """
    fixed = [(pos, expr, kind) for pos, (expr, kind) in enumerate(columns) if kind != "text"]
    texts = [(pos, expr) for pos, (expr, kind) in enumerate(columns) if kind == "text"]
    packed = " || ".join(f"{_SEND[kind]}({expr})" for _, expr, kind in fixed)
    aggregates = [f"string_agg({packed}, ''::bytea)"] + [f"string_agg({expr}, E'\\x1e')" for _, expr in texts]
    row = conn.execute(f"SELECT count(*), {', '.join(aggregates)} {from_where}".encode(), params or None).fetchone()
    assert row is not None
    count = int(row[0])
    layout = np.dtype([(f"v{pos}", _TYPES[kind]) for pos, _, kind in fixed])
    rows = np.frombuffer(b"" if row[1] is None else bytes(row[1]), dtype=layout)
    order = _order(rows[f"v{fixed[0][0]}"])
    out: list[Any] = [None] * len(columns)
    for pos, _, kind in fixed:
        values = rows[f"v{pos}"][order]
        out[pos] = (
            np.ascontiguousarray(values)
            if kind == "uuid"
            else values.astype(np.bool_)
            if kind == "bool"
            else values.astype(np.int64)
        )
    for (pos, _), joined in zip(texts, row[2:], strict=True):
        split = pc.split_pattern(pa.array([joined or ""]), _SEPARATOR).flatten() if count else pa.array([], pa.string())
        out[pos] = split.take(pa.array(order))
    return out
