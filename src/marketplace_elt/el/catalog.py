"""The stream catalog (`airbyte/catalog.json`): which tables are synced, and how.

One file drives both extract-load backends: the embedded loader reads it on every sync, and
`marketplace-elt el airbyte apply` turns it into the Airbyte connection's stream configuration.
``sync_mode`` uses Airbyte's public-API names, so the file needs no translation for Airbyte:

* ``incremental_deduped_history`` — read rows whose cursor is >= the last saved cursor, keep one
  row per primary key in raw (greatest cursor wins, ties go to the later extraction);
* ``incremental_append`` — read rows whose cursor is >= the last saved cursor minus ``lookback``,
  insert the ones whose primary key raw does not hold yet (an optional ``lookback`` on a deduped
  stream works the same way: re-read rows that did not change are not written again);
* ``full_refresh_overwrite`` — read the whole table and replace raw's contents.

Columns are not listed: like Airbyte's discover step, the loader reads them from the source at
every sync, so a column added at the source reaches raw without editing this file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import PROJECT_ROOT

CATALOG_PATH = PROJECT_ROOT / "airbyte" / "catalog.json"

SyncMode = Literal["incremental_deduped_history", "incremental_append", "full_refresh_overwrite"]
SYNC_MODES: tuple[SyncMode, ...] = ("incremental_deduped_history", "incremental_append", "full_refresh_overwrite")

_DURATION = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day)s?\s*$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class Stream:
    """One source table and how it is synced. ``lookback`` is a timedelta for timestamp cursors and
    an int for integer cursors (how far below the saved cursor append streams re-read)."""

    name: str
    sync_mode: SyncMode
    primary_key: tuple[str, ...]
    cursor_field: str | None
    lookback: timedelta | int | None
    why: str = ""

    @property
    def incremental(self) -> bool:
        return self.sync_mode != "full_refresh_overwrite"

    @property
    def deduped(self) -> bool:
        return self.sync_mode == "incremental_deduped_history"


@dataclass(frozen=True)
class Catalog:
    source_schema: str
    streams: tuple[Stream, ...]

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.streams]

    def stream(self, name: str) -> Stream:
        for s in self.streams:
            if s.name == name:
                return s
        raise ConfigError(f"unknown stream {name!r}; choose from {', '.join(self.names)}")

    def select(self, names: list[str] | None) -> list[Stream]:
        """The streams named (catalog order, duplicates removed), or all streams for None/empty."""
        if not names:
            return list(self.streams)
        wanted = {self.stream(n).name for n in names}
        return [s for s in self.streams if s.name in wanted]


def _lookback(raw: Any, stream: str) -> timedelta | int | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise ConfigError(f'catalog stream {stream}: lookback must be e.g. "3 days" or an id count like 1000')
    if isinstance(raw, int):
        return raw
    match = _DURATION.match(str(raw))
    if not match:
        raise ConfigError(
            f'catalog stream {stream}: lookback {raw!r} is not like "3 days"; use seconds/minutes/hours/days'
        )
    return timedelta(**{f"{match.group(2)}s": int(match.group(1))})


def _stream(raw: dict[str, Any]) -> Stream:
    name = str(raw.get("name", ""))
    if not _NAME.match(name):
        raise ConfigError(f"catalog stream name {name!r} is not a lower-case identifier; fix {CATALOG_PATH}")
    mode = raw.get("sync_mode")
    if mode not in SYNC_MODES:
        raise ConfigError(f"catalog stream {name}: sync_mode {mode!r} is not one of {', '.join(SYNC_MODES)}")
    pk = raw.get("primary_key") or []
    if isinstance(pk, str):
        pk = [pk]
    if not pk or not all(isinstance(c, str) and _NAME.match(c) for c in pk):
        raise ConfigError(f'catalog stream {name}: primary_key must list the key columns, e.g. ["id"]')
    cursor = raw.get("cursor_field")
    if mode != "full_refresh_overwrite" and not (isinstance(cursor, str) and _NAME.match(cursor)):
        raise ConfigError(f'catalog stream {name}: {mode} needs a cursor_field, e.g. "updated_at"')
    lookback = _lookback(raw.get("lookback"), name)
    if lookback is not None and mode == "full_refresh_overwrite":
        raise ConfigError(f"catalog stream {name}: lookback applies to incremental streams only; remove it")
    return Stream(
        name=name,
        sync_mode=cast(SyncMode, mode),
        primary_key=tuple(pk),
        cursor_field=cursor if mode != "full_refresh_overwrite" else None,
        lookback=lookback,
        why=str(raw.get("why", "")),
    )


def parse_catalog(data: dict[str, Any]) -> Catalog:
    streams = tuple(_stream(s) for s in data.get("streams", []))
    if not streams:
        raise ConfigError(f"the catalog lists no streams; add them to {CATALOG_PATH}")
    names = [s.name for s in streams]
    if len(set(names)) != len(names):
        raise ConfigError(f"the catalog lists a stream twice; keep one entry per table in {CATALOG_PATH}")
    return Catalog(source_schema=str(data.get("source_schema", "public")), streams=streams)


@lru_cache(maxsize=4)
def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    """The parsed, validated catalog (cached per path)."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"stream catalog {path} is missing; restore it from version control") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"stream catalog {path} is not valid JSON (line {exc.lineno}); fix it") from None
    return parse_catalog(data)


def stream_names() -> list[str]:
    """Names of all catalog streams, in catalog order (one Airflow task each)."""
    return load_catalog().names
