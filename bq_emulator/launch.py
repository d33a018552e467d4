"""Start the BigQuery emulator (PyPI `bqemulator`) without per-write time-travel copies.

Usage is the emulator's own CLI: ``python bq_emulator/launch.py start --persistent ...``.

After every DML statement, load job, copy job and streamed insert the emulator captures an
``AUTO`` time-travel snapshot: ``CREATE TABLE <snapshot> AS SELECT * FROM <table>``. That copy is
taken even when ``BQEMU_TIME_TRAVEL_RETENTION_DAYS=0`` (the garbage collector only drops it a
minute later), so a MERGE of one row into a 100k-row table costs a copy of the whole table, which
makes every incremental write cost the size of the table, not of the change. Production BigQuery
keeps time travel without that per-write cost. Nothing in this platform reads time travel
(``FOR SYSTEM_TIME AS OF``), so with a retention of 0 days this launcher skips the ``AUTO``
copies; the change event the emulator publishes with each write (it marks dependent
materialised views stale) is still published, and snapshots taken on request (``USER``) work as
before. With any other retention the emulator runs unchanged.
"""

from __future__ import annotations

import os
from typing import Any

RETENTION_VARIABLE = "BQEMU_TIME_TRAVEL_RETENTION_DAYS"


def skip_auto_snapshots() -> None:
    """Make ``SnapshotManager.capture`` a no-op for ``AUTO`` snapshots."""
    from bqemulator.versioning.snapshots import SnapshotManager

    take = SnapshotManager.capture

    def capture(self: SnapshotManager, project_id: str, dataset_id: str, table_id: str, *, kind: str = "AUTO") -> Any:
        if kind == "AUTO":
            return None
        return take(self, project_id, dataset_id, table_id, kind=kind)

    SnapshotManager.capture = capture  # type: ignore[method-assign]


def main() -> None:
    """Run the emulator's CLI (a click group: it exits the process itself)."""
    from bqemulator.cli import main as emulator_main

    if os.environ.get(RETENTION_VARIABLE, "").strip() == "0":
        skip_auto_snapshots()
    emulator_main()


if __name__ == "__main__":
    main()
