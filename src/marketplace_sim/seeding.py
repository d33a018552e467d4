"""`source seed`: fill an empty source database with a generated marketplace history.

Generation (``history.frames``) and loading overlap: a loader thread COPYs each table in PostgreSQL's
binary format while the next one is being built. Everything happens in one transaction, with keys,
indexes and foreign keys dropped for the load and rebuilt after it, so a failed seed leaves the
database as it was.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

import psycopg

from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings
from marketplace_sim.clock import HISTORY_DAYS, SEEDED_UNTIL_US, SIM_START_US, SimState, write_state
from marketplace_sim.db import connect_owner
from marketplace_sim.faults import fault_counts_from, resolve_fault_rates
from marketplace_sim.history import Loadable, frames, sizes
from marketplace_sim.pgbinary import copy_frame
from marketplace_sim.schema import (
    apply_schema,
    restore_constraints,
    row_counts,
    suspend_constraints,
    sync_sequences,
    truncate_all,
)

Progress = Callable[[str], None]


@dataclass
class SeedReport:
    seed: int
    scale: float
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    faults: dict[str, int] = field(default_factory=dict)
    constraint_seconds: float = 0.0
    total_seconds: float = 0.0


def _validate(scale: float, seed: int) -> None:
    if not isinstance(scale, int | float) or not math.isfinite(scale) or scale <= 0:
        raise UserError(f"--scale must be a number greater than 0 (got {scale}); use e.g. --scale 1 (10,000 orders)")
    if sizes(scale)[2] > 99_999 * HISTORY_DAYS:
        raise UserError(
            f"--scale {scale} exceeds the 99,999 orders a day that order numbers allow; use a scale below 1500"
        )
    if seed < 0:
        raise UserError(f"--seed must be 0 or a positive whole number (got {seed})")


def _load_concurrently(conn: psycopg.Connection, items: Iterator[Loadable], report: SeedReport, say: Progress) -> None:
    """COPY each frame on ``conn`` in a loader thread while the caller's iterator builds the next one.

    NumPy, Arrow and the socket writes release the GIL, so generation, encoding and the server's
    work overlap. The loader owns ``conn`` until the iterator is exhausted.
    """
    handoff: queue.Queue[Loadable | None] = queue.Queue(maxsize=1)
    failures: list[BaseException] = []

    def loader() -> None:
        while (item := handoff.get()) is not None:
            if failures:
                continue  # drain so the producer never blocks
            schema, table, frame = item
            try:
                tick = time.perf_counter()
                rows = copy_frame(conn, table, frame, schema=schema, freeze=True)
                if schema == "public":
                    report.rows[table], report.seconds[table] = rows, time.perf_counter() - tick
                    say(f"  {table:<20} {rows:>12,} rows  {report.seconds[table]:6.2f} s")
            except BaseException as exc:  # reported by the producer below
                failures.append(exc)

    worker = threading.Thread(target=loader, name="source-seed-loader", daemon=True)
    worker.start()
    try:
        for item in items:
            if failures:
                break
            handoff.put(item)
    finally:
        handoff.put(None)
        worker.join()
    if failures:
        raise failures[0]


def seed(
    settings: Settings,
    scale: float,
    seed: int = 0,
    reset: bool = False,
    fault_rates: Mapping[str, float] | None = None,
    progress: Progress | None = None,
) -> SeedReport:
    """Create the schema if needed and fill an empty source database with generated history.

    Refuses a database that already has rows unless ``reset`` (which empties the nine tables and the
    simulator's bookkeeping first). ``fault_rates`` overrides entries of DEFAULT_FAULT_RATES. All of
    it happens in one transaction: a failed seed leaves the database as it was.
    """
    _validate(scale, seed)
    rates = resolve_fault_rates(fault_rates)
    say = progress or (lambda _: None)
    report = SeedReport(seed=seed, scale=scale)
    started = time.perf_counter()
    with connect_owner(settings) as conn:
        apply_schema(conn, settings)
        conn.commit()
        existing = row_counts(conn)
        if any(existing.values()) and not reset:
            filled = ", ".join(f"{t}={n}" for t, n in existing.items() if n)
            raise UserError(f"the source database is not empty ({filled}); rerun with --reset to replace its data")
        n_users, n_products, n_orders = sizes(scale)
        say(f"seeding scale {scale:g} (seed {seed}): {n_orders:,} orders, {n_users:,} users, {n_products:,} listings")
        # Empty (or emptied) tables are truncated inside the load transaction even when they hold no
        # rows: that lets COPY write frozen rows, and on a server with wal_level=minimal skip WAL.
        conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
        truncate_all(conn)
        saved = suspend_constraints(conn)
        facts: dict[str, int] = {}
        _load_concurrently(conn, frames(seed, scale, rates, settings.source_timezone, facts), report, say)
        write_state(
            conn,
            SimState(
                seed=seed,
                scale=scale,
                sim_start_us=SIM_START_US,
                seeded_until_us=SEEDED_UNTIL_US,
                sim_now_us=SEEDED_UNTIL_US,
                days_advanced=0,
                source_timezone=settings.source_timezone,
                fault_rates=dict(rates),
                max_event_us=facts.get("max_event_us"),
            ),
        )
        tick = time.perf_counter()
        restore_constraints(conn, saved)
        sync_sequences(conn)
        report.constraint_seconds = time.perf_counter() - tick
        say(f"  keys, indexes and foreign keys built in {report.constraint_seconds:.2f} s")
        conn.commit()
        report.faults = fault_counts_from(conn)
    report.total_seconds = time.perf_counter() - started
    say(f"seeded {sum(report.rows.values()):,} rows in {report.total_seconds:.1f} s")
    return report
