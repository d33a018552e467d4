"""One simulated business day: the shared context of `source advance`'s daily steps.

A :class:`Day` covers the instants (low, high] = (sim_now, sim_now + 1 day] on one open
transaction. The steps (day_people, day_listings, day_reviews, day_orders) read what they need in
primary-key order, change rows through :func:`update`, insert with :meth:`Day.insert`, and collect
events and fault-manifest rows that :func:`finish` writes at the end of the day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import psycopg
import pyarrow as pa
from psycopg import sql

from marketplace_sim import columns as col
from marketplace_sim.clock import SimState, from_micros, to_micros
from marketplace_sim.columns import MICROS_PER_DAY, IntArray, UuidArray
from marketplace_sim.events import EventRows, concat_events, finalize
from marketplace_sim.faults import Manifest
from marketplace_sim.orders import BuyerPool
from marketplace_sim.pgbinary import Frame, copy_frame
from marketplace_sim.schema import sync_sequences

EARLIEST = np.iinfo(np.int64).min
STREAM = 1_000_003  # keeps the daily random draws apart from the seed's streams


@dataclass
class Participants:
    """Who can act today: buyers (sorted by sign-up) and sellers with their countries (-1 unknown)."""

    buyers: BuyerPool
    seller_ids: UuidArray
    seller_country: IntArray


def index_sql(column: str, vocabulary: tuple[str, ...]) -> str:
    """SQL for the position of ``column`` in ``vocabulary`` (0-based; -1 when NULL or unknown)."""
    values = ", ".join("'" + v.replace("'", "''") + "'" for v in vocabulary)
    return f"coalesce(array_position(ARRAY[{values}]::text[], {column}::text) - 1, -1)"


def within(rng: np.random.Generator, low: IntArray | int, high: IntArray | int, n: int) -> IntArray:
    """Instants in (low, high]."""
    return col.uniform_between(rng, np.asarray(low) + 1, np.asarray(high) + 1, n)


def update(conn: psycopg.Connection, table: str, frame: Frame, key: str = "id", schema: str = "public") -> None:
    """UPDATE ``table`` from ``frame`` (its key column plus the new values), through a temp table.

    updated_at never moves backwards when a row is changed twice in a day.
    """
    if frame.num_rows == 0:
        return
    temp = f"upd_{table}"
    names = list(frame.columns)
    conn.execute(
        sql.SQL("CREATE TEMP TABLE {} AS SELECT {} FROM {} WITH NO DATA").format(
            sql.Identifier(temp),
            sql.SQL(", ").join(sql.Identifier(n) for n in names),
            sql.Identifier(schema, table),
        )
    )
    copy_frame(conn, temp, frame, schema="pg_temp")
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier("pg_temp", temp)))  # so the join uses the key index
    assignments = [
        sql.SQL("updated_at = greatest(t.updated_at, u.updated_at)")
        if n == "updated_at"
        else sql.SQL("{} = u.{}").format(sql.Identifier(n), sql.Identifier(n))
        for n in names
        if n != key
    ]
    conn.execute(
        sql.SQL("UPDATE {} AS t SET {} FROM {} AS u WHERE t.{} = u.{}").format(
            sql.Identifier(schema, table),
            sql.SQL(", ").join(assignments),
            sql.Identifier("pg_temp", temp),
            sql.Identifier(key),
            sql.Identifier(key),
        )
    )
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier("pg_temp", temp)))


def scalar(conn: psycopg.Connection, query: str) -> int:
    row = conn.execute(query.encode()).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


class Day:
    """The simulation of one day (low, high] on an open transaction."""

    def __init__(self, conn: psycopg.Connection, state: SimState, day_index: int) -> None:
        self.conn = conn
        self.state = state
        self.day = day_index
        self.low = state.sim_now_us
        self.high = state.sim_now_us + MICROS_PER_DAY
        self.scale = state.scale
        self.rates = state.fault_rates
        self.zone = state.source_timezone
        self.manifest = Manifest()
        self.events: list[EventRows] = []
        self.changes: dict[str, int] = {}
        self.max_event_us = state.max_event_us

    def rng(self, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.state.seed, STREAM, self.day, stream])

    def note(self, table: str, change: str, rows: int) -> None:
        if rows:
            key = f"{table}.{change}"
            self.changes[key] = self.changes.get(key, 0) + rows

    def insert(self, table: str, frame: Frame, change: str = "inserted", schema: str = "public") -> None:
        copy_frame(self.conn, table, frame, schema=schema)
        if schema == "public":
            self.note(table, change, frame.num_rows)

    def finish(self) -> None:
        """Write the day's events (ids continue the log), the fault manifest and the change log."""
        conn = self.conn
        first_id = scalar(conn, "SELECT coalesce(max(id), 0) + 1 FROM event_log")
        if self.max_event_us is None:  # not recorded in meta.sim_state: ask the table
            prior = conn.execute("SELECT max(event_timestamp) FROM event_log").fetchone()
            self.max_event_us = EARLIEST if prior is None or prior[0] is None else to_micros(prior[0])
        rows = concat_events(self.events)
        frame = finalize(
            self.rng(8),
            rows,
            high=self.high,
            first_id=first_id,
            prior_max_ts=self.max_event_us,
            rates=self.rates,
            manifest=self.manifest,
        )
        if len(rows):
            self.max_event_us = max(self.max_event_us, int(rows.event_ts.max()))
        self.insert("event_log", frame)
        copy_frame(conn, "fault_manifest", self.manifest.to_frame(), schema="meta")
        sync_sequences(conn)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO meta.change_log (day_index, sim_day, table_name, change, row_count)"
                " VALUES (%s, %s, %s, %s, %s)",
                [
                    (self.day, from_micros(self.low), *key.split(".", 1), rows)
                    for key, rows in sorted(self.changes.items())
                ],
            )


def fixed_width(values: pa.Array, width: int) -> np.ndarray:
    """Arrow strings that all have ``width`` bytes -> NumPy S<width>."""
    if len(values) == 0:
        return np.empty(0, dtype=f"S{width}")
    arr = values.cast(pa.binary())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset : arr.offset + len(arr) + 1]
    if not (np.diff(offsets) == width).all():
        raise ValueError(f"expected {width}-byte values")
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    return data.copy().view(f"S{width}")
