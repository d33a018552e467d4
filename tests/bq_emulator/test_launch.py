"""bq_emulator/launch.py: the emulator without per-write time-travel copies, on the pinned `bqemulator`.

Runs in the emulator's own virtualenv (its DuckDB pin clashes with the main environment), against
the real ``SnapshotManager`` class with a recording engine and catalog in place of DuckDB.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from marketplace_elt.services.bq_emulator import EMULATOR_VENV, LAUNCHER

PROBE = """
import json, sys
from datetime import UTC, datetime
sys.path.insert(0, sys.argv[1])
import launch
from bqemulator.versioning.snapshots import SnapshotManager

class Engine:
    def __init__(self): self.statements = []
    def execute(self, sql): self.statements.append(sql)

class Catalog:
    def get_table(self, *ref): return object()
    def create_snapshot(self, meta): pass

class Clock:
    def now(self): return datetime.now(UTC)

class Events:
    def __init__(self): self.published = []
    def publish(self, event): self.published.append(type(event).__name__)

def run(patch):
    if patch:
        launch.skip_auto_snapshots()
    engine, events = Engine(), Events()
    manager = SnapshotManager(engine, Catalog(), Clock(), events, retention_days=0)
    manager.record_change("p", "d", "t")
    after_write = len(engine.statements)
    user = manager.capture("p", "d", "t", kind="USER")
    return {"copies_per_write": after_write, "events": events.published, "user_snapshot": user is not None,
            "copies_total": len(engine.statements)}

print(json.dumps({"unpatched": run(False), "patched": run(True)}))
"""


@pytest.fixture(scope="module")
def probe() -> dict[str, dict[str, object]]:
    python = EMULATOR_VENV / "bin" / "python"
    if not python.exists():
        pytest.fail(f"the emulator's virtualenv is missing at {EMULATOR_VENV}; run `make install`")
    out = subprocess.run(
        [str(python), "-c", PROBE, str(LAUNCHER.parent)], check=True, capture_output=True, text=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_unpatched_emulator_copies_the_table_after_every_write(probe: dict[str, dict[str, object]]) -> None:
    # the cost the launcher removes: without it a write is followed by a full copy of the table
    assert probe["unpatched"]["copies_per_write"] == 1


def test_the_launcher_skips_the_per_write_copy_but_keeps_the_change_event(probe: dict[str, dict[str, object]]) -> None:
    patched = probe["patched"]
    assert patched["copies_per_write"] == 0
    assert patched["events"] == ["TableDataChanged"]  # dependent materialised views still go stale


def test_snapshots_taken_on_request_still_work(probe: dict[str, dict[str, object]]) -> None:
    patched = probe["patched"]
    assert patched["user_snapshot"] is True and patched["copies_total"] == 1


def test_services_start_the_emulator_through_the_launcher() -> None:
    from marketplace_elt.services.bq_emulator import BigQueryEmulator
    from marketplace_elt.settings import Settings

    command = BigQueryEmulator(Settings.from_env()).command()
    assert command[-1] == str(LAUNCHER) and LAUNCHER.exists()
