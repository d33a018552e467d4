"""The marketplace source database: its schema, a deterministic generator and a change simulator.

Functions the rest of the platform calls (all take the settings; the owner URL
``settings.source_admin_url`` is used, never the read-only ``source_db_url``):

* :func:`init` — create the nine tables, the ``meta`` schema and the read-only replication role.
* :func:`seed` — fill an empty database with ``scale`` x 10,000 orders of history (deterministic).
* :func:`advance` — simulate more business days after the seed (deterministic for seed and days).
* :func:`table_counts` / :func:`fault_counts` — rows per table / injected faults per kind.

:data:`TABLES` lists the nine tables in load order; :data:`DEFAULT_FAULT_RATES` the fault rates.
The names are imported on first use, so `marketplace-elt` starts without loading NumPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from marketplace_sim.tables import TABLES

if TYPE_CHECKING:
    from marketplace_sim.advancing import AdvanceReport, advance
    from marketplace_sim.counts import fault_counts, table_counts
    from marketplace_sim.faults import DEFAULT_FAULT_RATES, FAULT_NAMES, FAULTS
    from marketplace_sim.schema import init
    from marketplace_sim.seeding import SeedReport, seed

_LAZY = {
    "AdvanceReport": "advancing",
    "advance": "advancing",
    "fault_counts": "counts",
    "table_counts": "counts",
    "DEFAULT_FAULT_RATES": "faults",
    "FAULT_NAMES": "faults",
    "FAULTS": "faults",
    "init": "schema",
    "SeedReport": "seeding",
    "seed": "seeding",
}

__all__ = [
    "DEFAULT_FAULT_RATES",
    "FAULTS",
    "FAULT_NAMES",
    "TABLES",
    "AdvanceReport",
    "SeedReport",
    "advance",
    "fault_counts",
    "init",
    "seed",
    "table_counts",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"marketplace_sim.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
