"""Row counts of the source tables and of the fault manifest."""

from __future__ import annotations

from marketplace_elt.settings import Settings
from marketplace_sim.clock import read_state
from marketplace_sim.db import connect_owner, missing_tables
from marketplace_sim.faults import DEFAULT_FAULT_RATES, fault_counts_from
from marketplace_sim.schema import row_counts
from marketplace_sim.tables import TABLES


def table_counts(settings: Settings) -> dict[str, int]:
    """Rows per source table, in load order; 0 for tables that do not exist yet."""
    with connect_owner(settings, autocommit=True) as conn:
        missing = set(missing_tables(conn))
        if missing:
            present = [t for t in TABLES if t not in missing]
            counts = row_counts(conn, present)
            return {t: counts.get(t, 0) for t in TABLES}
        return row_counts(conn)


def fault_counts(settings: Settings) -> dict[str, int]:
    """Manifest rows per injected fault (every known fault listed; all 0 for a source not generated here)."""
    with connect_owner(settings, autocommit=True) as conn:
        return fault_counts_from(conn)


def fault_rates_in_effect(settings: Settings) -> dict[str, float]:
    """The rates the generated data was made with (the defaults for a source not generated here)."""
    with connect_owner(settings, autocommit=True) as conn:
        state = read_state(conn)
    return {**DEFAULT_FAULT_RATES, **(state.fault_rates if state else {})}
