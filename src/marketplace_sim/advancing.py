"""`source advance`: move the simulated marketplace forward, one business day at a time.

Each simulated day (previous sim_now, sim_now + 1 day] brings new users, listings and orders; planned
order events that fall into the day (confirmation, shipping, delivery, cancellation, refunds,
disputes, reviews); late-arriving orders (placed days ago, inserted now); profile edits, tier
changes (the current seller_tier_history row is closed and a new one opened), soft deletes, listing
updates, review moderation and votes; and the same kinds of faults as the seed, recorded in the
manifest. Every changed row of users / products / orders / reviews gets an updated_at inside the
day, so later than anything a previous extraction could have seen.

A day's random draws depend only on (seed, day number), and every read is ordered, so advancing
N days gives the same database whether it is done at once or day by day. Each day is committed on
its own: an interrupted advance stops at a day boundary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings
from marketplace_sim.clock import from_micros, read_state, write_state
from marketplace_sim.columns import MICROS_PER_DAY
from marketplace_sim.day import Day
from marketplace_sim.day_listings import simulate_listings
from marketplace_sim.day_orders import simulate_orders
from marketplace_sim.day_people import simulate_people
from marketplace_sim.day_reviews import simulate_moderation
from marketplace_sim.db import connect_owner, require_tables
from marketplace_sim.limits import MAX_DAYS

Progress = Callable[[str], None]


@dataclass
class AdvanceReport:
    days: int
    sim_now: datetime
    changes: dict[str, int] = field(default_factory=dict)  # "table.change" -> rows over all days
    seconds: float = 0.0


def simulate_day(day: Day) -> dict[str, int]:
    """Run one day's steps in order; returns the rows changed per "table.change"."""
    participants = simulate_people(day)
    simulate_listings(day, participants)
    simulate_moderation(day)
    simulate_orders(day, participants)
    day.finish()
    return day.changes


def advance(settings: Settings, days: int, progress: Progress | None = None) -> AdvanceReport:
    """Simulate ``days`` more business days after the current simulated now (see module doc)."""
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise UserError(f"--days must be a whole number from 1 to {MAX_DAYS} (got {days}); use e.g. --days 1")
    say = progress or (lambda _: None)
    started = time.perf_counter()
    with connect_owner(settings) as conn:
        require_tables(conn)
        state = read_state(conn)
        if state is None:
            raise UserError(
                "the source has no simulation state (meta.sim_state); generate it with "
                "`marketplace-elt source seed` first: advance only continues generated data"
            )
        report = AdvanceReport(days=days, sim_now=from_micros(state.sim_now_us))
        for _ in range(days):
            tick = time.perf_counter()
            day_index = state.days_advanced + 1
            day = Day(conn, state, day_index)
            changes = simulate_day(day)
            state = replace(
                state,
                sim_now_us=state.sim_now_us + MICROS_PER_DAY,
                days_advanced=day_index,
                max_event_us=day.max_event_us,
            )
            write_state(conn, state)
            conn.commit()
            for key, rows in changes.items():
                report.changes[key] = report.changes.get(key, 0) + rows
            date = from_micros(state.sim_now_us - MICROS_PER_DAY).date()
            summary = ", ".join(f"{k}={v}" for k, v in sorted(changes.items()))
            say(f"  day {day_index} ({date}): {summary}  [{time.perf_counter() - tick:.1f} s]")
        report.sim_now = from_micros(state.sim_now_us)
    report.seconds = time.perf_counter() - started
    return report
