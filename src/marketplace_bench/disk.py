"""Disk use of the local BigQuery emulator's data directory.

The emulator keeps every dataset in files under its data directory (a DuckDB database and its
write-ahead log). Its size before and after a phase shows what the writes of that phase cost on
disk, time-travel snapshots included when the emulator keeps them. The whole directory is
measured, so writes by anyone else on the same emulator in that window count too.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from marketplace_elt.settings import Settings


def directory_bytes(path: Path) -> int:
    """Apparent size of every regular file under ``path`` (0 for a missing directory)."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            try:
                info = os.lstat(os.path.join(root, name))
            except FileNotFoundError:  # a write-ahead log checkpointed away while walking
                continue
            if stat.S_ISREG(info.st_mode):
                total += info.st_size
    return total


def emulator_data_dir(settings: Settings) -> Path | None:
    """Where the emulator started by `services up` keeps its data; None for a remote emulator or BigQuery."""
    if not settings.bq_emulator_is_local:
        return None
    from marketplace_elt.services.bq_emulator import BigQueryEmulator

    return BigQueryEmulator(settings).data_dir


def emulator_data_bytes(settings: Settings) -> int | None:
    """Current size of the emulator's data directory in bytes (None where it cannot be seen)."""
    path = emulator_data_dir(settings)
    return directory_bytes(path) if path is not None and path.exists() else None
