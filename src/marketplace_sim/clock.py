"""The simulated clock. Generated business dates never depend on the wall clock.

A seed writes the 180 days of order history before ``SEEDED_UNTIL`` (2026-11-01T00:00Z), so the
same seed always yields byte-identical data; ``advance`` moves ``meta.sim_state.sim_now`` forward
one simulated day at a time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg

GENERATOR_VERSION = 1
HISTORY_DAYS = 180
SEEDED_UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
SIM_START = SEEDED_UNTIL - timedelta(days=HISTORY_DAYS)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


SEEDED_UNTIL_US = to_micros(SEEDED_UNTIL)
SIM_START_US = to_micros(SIM_START)


@dataclass(frozen=True)
class SimState:
    seed: int
    scale: float
    sim_start_us: int
    seeded_until_us: int
    sim_now_us: int
    days_advanced: int
    source_timezone: str
    fault_rates: dict[str, float]
    max_event_us: int | None = None  # greatest event_log.event_timestamp written so far


def read_state(conn: psycopg.Connection) -> SimState | None:
    exists = conn.execute("SELECT to_regclass('meta.sim_state') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return None
    row = conn.execute(
        "SELECT seed, scale, sim_start, seeded_until, sim_now, days_advanced, source_timezone, fault_rates,"
        " max_event_timestamp FROM meta.sim_state"
    ).fetchone()
    if row is None:
        return None
    seed, scale, start, seeded_until, now, days, zone, rates, max_event = row
    return SimState(
        seed=int(seed),
        scale=float(scale),
        sim_start_us=to_micros(start),
        seeded_until_us=to_micros(seeded_until),
        sim_now_us=to_micros(now),
        days_advanced=int(days),
        source_timezone=str(zone),
        fault_rates={str(k): float(v) for k, v in rates.items()},
        max_event_us=None if max_event is None else to_micros(max_event),
    )


def write_state(conn: psycopg.Connection, state: SimState) -> None:
    conn.execute("DELETE FROM meta.sim_state")
    conn.execute(
        "INSERT INTO meta.sim_state (seed, scale, sim_start, seeded_until, sim_now, days_advanced,"
        " source_timezone, fault_rates, generator_version, max_event_timestamp)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        [
            state.seed,
            state.scale,
            from_micros(state.sim_start_us),
            from_micros(state.seeded_until_us),
            from_micros(state.sim_now_us),
            state.days_advanced,
            state.source_timezone,
            json.dumps(state.fault_rates, sort_keys=True),
            GENERATOR_VERSION,
            None if state.max_event_us is None else from_micros(state.max_event_us),
        ],
    )
