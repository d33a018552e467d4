"""Bulk loading in PostgreSQL's binary COPY format, encoded column-wise with NumPy.

Binary COPY spares the server all text parsing (timestamps, uuids and numerics arrive in their
internal form), which is most of the cost of loading millions of rows. A :class:`Frame` holds the
columns of one table as NumPy / Arrow arrays; :func:`copy_frame` asks the catalog for each column's
type, encodes each column into complete COPY fields at once, and lets Arrow lay the fields of each
row side by side: no Python loop per row.

Format reference: https://www.postgresql.org/docs/current/sql-copy.html (Binary Format), and the
type send/recv functions for uuid, int2/4/8, bool, timestamp(tz), numeric, text, jsonb and arrays.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np
import numpy.typing as npt
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter

from marketplace_sim.columns import NEVER, BoolArray, IntArray

U8 = npt.NDArray[np.uint8]

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01T00:00:00 in Unix microseconds
CHUNK_ROWS = 100_000
ELEMENT_OIDS = {"_text": 25, "_varchar": 1043}


@dataclass
class Column:
    """One column: its kind decides the encoding, the target column's type is checked at load time.

    kinds: 'uuid' (n,16 bytes), 'int', 'bool', 'ts' (Unix microseconds; wall-clock for naive
    columns), 'money' (int64 hundredths), 'text' (Arrow strings or NumPy bytes), 'json' (Arrow
    strings), 'text_array' (values = Arrow list<string>).
    """

    kind: str
    values: object
    null: BoolArray | None = None


class Frame:
    """The columns of one table, in the order they are loaded."""

    def __init__(self, num_rows: int) -> None:
        self.num_rows = num_rows
        self.columns: dict[str, Column] = {}

    def _add(self, name: str, kind: str, values: object, null: BoolArray | None) -> Frame:
        if null is not None and not null.any():
            null = None
        self.columns[name] = Column(kind, values, null)
        return self

    def uuid(self, name: str, raw: npt.NDArray[np.void], null: BoolArray | None = None) -> Frame:
        return self._add(name, "uuid", raw, null)

    def integer(self, name: str, values: npt.NDArray[np.integer], null: BoolArray | None = None) -> Frame:
        return self._add(name, "int", np.asarray(values, dtype=np.int64), null)

    def boolean(self, name: str, values: BoolArray) -> Frame:
        return self._add(name, "bool", np.asarray(values, dtype=np.bool_), None)

    def ts(self, name: str, micros: IntArray, null: BoolArray | None = None) -> Frame:
        """Instants (timestamptz) or wall-clock readings (timestamp); NEVER is NULL."""
        missing = micros == NEVER if null is None else (null | (micros == NEVER))
        return self._add(name, "ts", np.asarray(micros, dtype=np.int64), missing)

    def money(self, name: str, cents: IntArray, null: BoolArray | None = None) -> Frame:
        return self._add(name, "money", np.asarray(cents, dtype=np.int64), null)

    def text(self, name: str, values: pa.Array | npt.NDArray[np.bytes_], null: BoolArray | None = None) -> Frame:
        return self._add(name, "text", values, null)

    def json(self, name: str, values: pa.Array, null: BoolArray | None = None) -> Frame:
        return self._add(name, "json", values, null)

    def text_array(self, name: str, values: pa.ListArray, null: BoolArray | None = None) -> Frame:
        return self._add(name, "text_array", values, null)

    def slice(self, start: int, stop: int) -> Frame:
        out = Frame(stop - start)
        for name, c in self.columns.items():
            values = (
                c.values.slice(start, stop - start)
                if isinstance(c.values, pa.Array)
                else cast(np.ndarray, c.values)[start:stop]
            )
            out.columns[name] = Column(c.kind, values, None if c.null is None else c.null[start:stop])
        return out


# --- encoders: every column becomes an Arrow binary array of complete COPY fields -------------------
# (4-byte big-endian length, or -1 for NULL, followed by the value's bytes); one element-wise binary
# join per chunk then lays the fields of each row side by side, in C++.


def _be(values: npt.NDArray[np.integer], dtype: str) -> U8:
    """Big-endian bytes of each row: (n,) -> (n, itemsize), (n, k) -> (n, k * itemsize)."""
    arr = np.ascontiguousarray(np.asarray(values).astype(dtype))
    width = arr.itemsize * (arr.shape[1] if arr.ndim == 2 else 1)
    return arr.view(np.uint8).reshape(len(values), width)


def _binary(offsets: IntArray, data: U8) -> pa.Array:
    n = len(offsets) - 1
    return pa.Array.from_buffers(
        pa.binary(), n, [None, pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(np.ascontiguousarray(data))]
    )


def _fixed(rows: U8, null: BoolArray | None) -> pa.Array:
    """Fields of fixed-width values given as an (n, width) byte matrix."""
    n, width = rows.shape
    block = np.empty((n, 4 + width), dtype=np.uint8)
    block[:, 4:] = rows
    if null is None:
        block[:, :4] = np.frombuffer(width.to_bytes(4, "big"), dtype=np.uint8)
        return _binary(np.arange(n + 1, dtype=np.int64) * (4 + width), block.reshape(-1))
    block[:, :4] = np.where(null[:, None], 0xFF, np.frombuffer(width.to_bytes(4, "big"), dtype=np.uint8)[None, :])
    lengths = np.where(null, 4, 4 + width)
    keep = np.arange(4 + width)[None, :] < lengths[:, None]
    return _binary(np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64), block[keep])


def _numeric(cents: IntArray) -> U8:
    """numeric_send layout with 4 base-10000 digits (integer part < 10^12, 2 decimals); the server
    strips the leading zero digits, so what it stores equals the text input of the same value."""
    n = len(cents)
    mag = np.abs(cents)
    whole, frac = mag // 100, mag % 100
    words = np.empty((n, 8), dtype=np.int64)
    words[:, 0] = 4  # ndigits
    words[:, 1] = 2  # weight of the first digit (10000^2)
    words[:, 2] = np.where(cents < 0, 0x4000, 0)  # sign
    words[:, 3] = 2  # display scale
    words[:, 4] = whole // 100_000_000
    words[:, 5] = (whole // 10_000) % 10_000
    words[:, 6] = whole % 10_000
    words[:, 7] = frac * 100
    return _be(words, ">u2").reshape(n, 16)


def _prefixed(values: pa.Array, null: BoolArray | None, marker: bytes = b"") -> pa.Array:
    """Fields of variable-width values (Arrow strings or binary); ``marker`` precedes each value
    (jsonb's version byte)."""
    n = len(values)
    missing = _nulls(values, null)
    lengths = pc.binary_length(values).fill_null(0).to_numpy(zero_copy_only=False).astype(np.int64) + len(marker)
    if missing is not None:
        lengths = np.where(missing, -1, lengths)
    head = np.empty((n, 4 + len(marker)), dtype=np.uint8)
    head[:, :4] = _be(lengths, ">i4")
    for pos, byte in enumerate(marker):
        head[:, 4 + pos] = byte
    head_len = 4 + len(marker)
    if missing is None:
        heads = _binary(np.arange(n + 1, dtype=np.int64) * head_len, head.reshape(-1))
    else:
        sizes = np.where(missing, 4, head_len)
        keep = np.arange(head_len)[None, :] < sizes[:, None]
        heads = _binary(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), head[keep])
    body = values.cast(pa.binary()).fill_null(b"")
    if missing is not None:
        body = pc.if_else(pa.array(missing), pa.scalar(b"", pa.binary()), body)
    return _flat(pc.binary_join_element_wise(heads, body, pa.scalar(b"", pa.binary())))


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def _text_array(values: pa.ListArray, null: BoolArray | None, element_oid: int) -> pa.Array:
    """Fields of one-dimensional text arrays in array_send layout (an empty array has no dimension)."""
    n = len(values)
    bounds = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset : values.offset + n + 1]
    bounds = bounds.astype(np.int64)
    counts = np.diff(bounds)
    elements = values.values.slice(int(bounds[0]), int(bounds[-1] - bounds[0]))
    # each element as its own field (length + bytes), then each row's elements joined together
    element_fields = _prefixed(elements, None)
    lists = pa.ListArray.from_arrays(pa.array((bounds - bounds[0]).astype(np.int32)), element_fields)
    joined = _flat(pc.binary_join(lists, pa.scalar(b"", pa.binary())))
    head = np.zeros((n, 5), dtype=np.int64)
    head[:, 0] = counts > 0  # number of dimensions
    head[:, 2] = element_oid
    head[:, 3] = counts  # dimension size
    head[:, 4] = 1  # lower bound
    head_bytes = _be(head, ">i4").reshape(n, 20)
    sizes = np.where(counts > 0, 20, 12)
    keep = np.arange(20)[None, :] < sizes[:, None]
    heads = _binary(np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64), head_bytes[keep])
    payload = _flat(pc.binary_join_element_wise(heads, joined, pa.scalar(b"", pa.binary())))
    return _prefixed(payload, null)


def _nulls(values: pa.Array, null: BoolArray | None) -> BoolArray | None:
    if values.null_count:
        arrow_null = values.is_null().to_numpy(zero_copy_only=False)
        return arrow_null if null is None else (null | arrow_null)
    return null


def encode(column: Column, udt: str) -> pa.Array:
    """The column's values as COPY fields of the target type ``udt`` (pg_type.typname)."""
    kind, null = column.kind, column.null
    if kind in ("text", "json", "text_array"):
        arrow = column.values
        if isinstance(arrow, np.ndarray):
            arrow = pa.array(arrow, type=pa.binary())
        arrow = cast(pa.Array, arrow.combine_chunks() if isinstance(arrow, pa.ChunkedArray) else arrow)
        if kind == "text" and udt in ("text", "varchar", "bpchar"):
            return _prefixed(arrow, null)
        if kind == "json" and udt in ("jsonb", "json"):
            return _prefixed(arrow, null, b"\x01" if udt == "jsonb" else b"")
        if kind == "text_array" and udt in ELEMENT_OIDS:
            return _text_array(cast(pa.ListArray, arrow), null, ELEMENT_OIDS[udt])
    else:
        values = cast(np.ndarray, column.values)
        if kind == "uuid" and udt == "uuid":
            return _fixed(np.ascontiguousarray(values).view(np.uint8).reshape(-1, 16), null)
        if kind == "int" and udt in ("int2", "int4", "int8"):
            return _fixed(_be(values, {"int2": ">i2", "int4": ">i4", "int8": ">i8"}[udt]), null)
        if kind == "bool" and udt == "bool":
            return _fixed(values.astype(np.uint8).reshape(-1, 1), null)
        if kind == "ts" and udt in ("timestamptz", "timestamp"):
            micros = values if null is None else np.where(null, 0, values)
            return _fixed(_be(micros - PG_EPOCH_US, ">i8"), null)
        if kind == "money" and udt == "numeric":
            return _fixed(_numeric(values), null)
    raise TypeError(f"cannot load a {kind} column into a PostgreSQL {udt} column")


def assemble(fields: list[pa.Array]) -> memoryview:
    """Binary COPY tuples: the field count, then each column's field, row after row."""
    count = pa.scalar(len(fields).to_bytes(2, "big"), pa.binary())
    rows = _flat(pc.binary_join_element_wise(count, *fields, pa.scalar(b"", pa.binary())))
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int32)[rows.offset : rows.offset + len(rows) + 1]
    return memoryview(rows.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def column_types(conn: psycopg.Connection, schema: str, table: str) -> dict[str, str]:
    rows = conn.execute(
        "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
        [f"{schema}.{table}"],
    ).fetchall()
    return {name: typ for name, typ in rows}


def chunks(frame: Frame, types: dict[str, str]) -> Iterator[memoryview]:
    for start in range(0, frame.num_rows, CHUNK_ROWS):
        part = frame.slice(start, min(start + CHUNK_ROWS, frame.num_rows))
        yield assemble([encode(col, types[name]) for name, col in part.columns.items()])


def copy_frame(conn: psycopg.Connection, table: str, frame: Frame, schema: str = "public", freeze: bool = False) -> int:
    """Append the frame's rows to ``schema.table`` with one binary COPY; returns the row count.

    Chunks are encoded while psycopg's writer thread sends the previous ones, so encoding overlaps
    with the server's work. ``freeze`` writes the rows already frozen (allowed only into a table
    truncated in the same transaction): readers then never have to set hint bits, i.e. rewrite every
    freshly loaded page.
    """
    if frame.num_rows == 0:
        return 0
    types = column_types(conn, schema, table)
    missing = [name for name in frame.columns if name not in types]
    if missing:
        raise TypeError(f"{schema}.{table} has no column {', '.join(missing)}")
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT binary{})").format(
        sql.Identifier(schema, table),
        sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns),
        sql.SQL(", FREEZE" if freeze else ""),
    )
    with conn.cursor() as cur, cur.copy(statement, writer=QueuedLibpqWriter(cur)) as copy:
        copy.write(SIGNATURE)
        for block in chunks(frame, types):
            copy.write(block)
        copy.write(TRAILER)
    return frame.num_rows
