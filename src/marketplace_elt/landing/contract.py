"""The file contracts of the landing zone (`landing/streams/<stream>.yml`): one per file stream.

A payment provider drops one CSV file per stream and day into ``LANDING_DIR``. Each declaration
says what such a file is: its name (``file_pattern``, with the ``{YYYYMMDD}`` date placeholder), the
header columns in order, the key, and for every column the type it lands as in bronze and the type
it is meant to have. Everything reads these files: the bronze loader (header check, key check, raw
table columns), the provider-file generator of the simulated source, the tests, and later dbt
staging. The format is described in docs/landing-zone.md.

Every column lands as ``string``: provider values are messy (``"$1,234.50"``, ``"1.234,50"``,
``" OK "``, ``N/A``), and bronze keeps them exactly as delivered. ``intended`` is the type staging
casts to; ``values`` (accepted values, compared after trimming and lower-casing), ``format`` (a
strftime pattern of timestamps and dates) and ``references`` (``<stream>.<column>``, a landing
stream or a stream of the extract-load catalog) say what staging needs to normalise and join.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast

from marketplace_elt.el.catalog import NamedStreams, load_catalog, read_yaml
from marketplace_elt.el.catalog import display as display_path
from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import PROJECT_ROOT

CONTRACT_DIR = PROJECT_ROOT / "landing" / "streams"
DATE_PLACEHOLDER = "{YYYYMMDD}"
DEFAULT_NULL_VALUES: tuple[str, ...] = ("", "N/A", "NULL")
# Tables the loader writes into the raw dataset besides one table per stream.
MANIFEST_TABLE = "landing_manifest"
REJECTS_TABLE = "landing_rejects"
_LOADER_TABLES = frozenset({MANIFEST_TABLE, REJECTS_TABLE, "el_sync_log"})

IntendedType = Literal["string", "numeric", "int64", "timestamp", "date", "bool"]
INTENDED_TYPES: tuple[IntendedType, ...] = ("string", "numeric", "int64", "timestamp", "date", "bool")
LANDING_TYPES = ("string",)
DEFAULT_FORMATS: dict[str, str] = {"timestamp": "%Y-%m-%dT%H:%M:%SZ", "date": "%Y-%m-%d"}

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_PATTERN_TEXT = re.compile(r"^[A-Za-z0-9_.-]+$")
_STREAM_KEYS = frozenset({"description", "file_pattern", "key", "why", "columns", "null_values"})
_COLUMN_KEYS = frozenset({"landing", "intended", "values", "format", "references", "description"})


@dataclass(frozen=True)
class LandingColumn:
    """One header column: bronze type (always string), intended type and what staging needs."""

    name: str
    landing_type: str
    intended_type: IntendedType
    values: tuple[str, ...] = ()  # accepted values of an enum column (after trim + lower-case)
    format: str | None = None  # strftime pattern of a timestamp or date column
    references: str | None = None  # "<stream>.<column>" this column's values point at
    description: str = ""


@dataclass(frozen=True)
class FileStream:
    """One kind of provider file: its name pattern, header columns in order and key."""

    name: str
    description: str
    file_pattern: str
    key: tuple[str, ...]
    why: str
    columns: tuple[LandingColumn, ...]
    null_values: tuple[str, ...] = DEFAULT_NULL_VALUES

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def table(self) -> str:
        """The raw table the stream's accepted rows land in (in ``settings.raw_dataset``)."""
        return self.name

    def column(self, name: str) -> LandingColumn:
        for c in self.columns:
            if c.name == name:
                return c
        raise ConfigError(f"stream {self.name} declares no column {name!r}; add it to {_file(self.name)}")

    def file_name(self, day: date) -> str:
        """The name of this stream's file for ``day``, e.g. events_20261015.csv."""
        return self.file_pattern.replace(DATE_PLACEHOLDER, f"{day:%Y%m%d}")

    @property
    def _regex(self) -> re.Pattern[str]:
        before, _, after = self.file_pattern.partition(DATE_PLACEHOLDER)
        return re.compile(rf"^{re.escape(before)}(\d{{8}}){re.escape(after)}$")

    def matches(self, file_name: str) -> bool:
        return self._regex.match(file_name) is not None

    def file_date(self, file_name: str) -> date | None:
        """The day in a matching file name; None when the name does not match or the date is not a
        calendar date (events_20261345.csv)."""
        match = self._regex.match(file_name)
        if not match:
            return None
        try:
            return datetime.strptime(match.group(1), "%Y%m%d").date()
        except ValueError:
            return None


@dataclass(frozen=True)
class LandingContract(NamedStreams[FileStream]):
    streams: tuple[FileStream, ...]
    kind = "landing stream"

    def stream_of(self, file_name: str) -> FileStream | None:
        """The stream whose file_pattern the file name matches (None for any other file)."""
        for s in self.streams:
            if s.matches(file_name):
                return s
        return None


# --- parsing ------------------------------------------------------------------------------------

_current_dir: list[Path] = [CONTRACT_DIR]


def _file(stream: str) -> str:
    return display_path(_current_dir[-1] / f"{stream}.yml")


def _fail(stream: str, problem: str) -> ConfigError:
    return ConfigError(f"{_file(stream)}: {problem}")


def _check_keys(stream: str, where: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise _fail(stream, f"{where} has unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(allowed))}")


def _one_line(stream: str, key: str, value: Any, example: str) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
        raise _fail(stream, f"needs a one-line `{key}`, e.g. {example}")
    return value.strip()


def _file_pattern(stream: str, raw: Any) -> str:
    example = f"events_{DATE_PLACEHOLDER}.csv"
    if not isinstance(raw, str) or raw.count(DATE_PLACEHOLDER) != 1:
        raise _fail(stream, f"file_pattern {raw!r} must contain {DATE_PLACEHOLDER} once, e.g. {example}")
    rest = raw.replace(DATE_PLACEHOLDER, "")
    if not raw.endswith(".csv") or not _PATTERN_TEXT.match(rest):
        raise _fail(
            stream, f"file_pattern {raw!r} must end in .csv and use only letters, digits, _ . -, e.g. {example}"
        )
    return raw


def _column(stream: str, name: Any, spec: Any) -> LandingColumn:
    if not (isinstance(name, str) and _NAME.match(name)):
        raise _fail(stream, f"column {name!r} is not a lower-case identifier (no leading _); write e.g. amount")
    where = f"column {name}"
    if not isinstance(spec, dict):
        raise _fail(stream, f"{where} must be a mapping, e.g. {{landing: string, intended: numeric}}")
    _check_keys(stream, where, spec, _COLUMN_KEYS)
    landing = spec.get("landing")
    if landing not in LANDING_TYPES:
        raise _fail(
            stream,
            f"{where} has landing type {landing!r}; every column lands as string in bronze: "
            "write landing: string and put the type it should have under intended",
        )
    intended = spec.get("intended")
    if intended not in INTENDED_TYPES:
        raise _fail(stream, f"{where} has intended type {intended!r}; use one of {', '.join(INTENDED_TYPES)}")
    values = spec.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) and v == v.strip().lower() and v for v in values):
        raise _fail(stream, f"{where}: values must list the accepted values in lower case, e.g. [completed, failed]")
    if values and intended != "string":
        raise _fail(stream, f"{where}: values apply to intended: string columns only; remove them or change the type")
    fmt = spec.get("format")
    if fmt is not None and (intended not in DEFAULT_FORMATS or not isinstance(fmt, str) or "%" not in fmt):
        raise _fail(
            stream,
            f"{where}: format must be a strftime pattern of a timestamp or date column, "
            f'e.g. "{DEFAULT_FORMATS["timestamp"]}"',
        )
    references = spec.get("references")
    if references is not None and not (
        isinstance(references, str) and re.fullmatch(r"[a-z_0-9]+\.[a-z_0-9]+", references)
    ):
        raise _fail(stream, f"{where}: references {references!r} must be <stream>.<column>, e.g. payments.event_id")
    description = spec.get("description") or ""
    if not isinstance(description, str) or "\n" in description.strip():
        raise _fail(stream, f"{where}: description must be one line")
    return LandingColumn(
        name=name,
        landing_type=landing,
        intended_type=cast(IntendedType, intended),
        values=tuple(values),
        format=fmt if fmt is not None else DEFAULT_FORMATS.get(intended),
        references=references,
        description=description.strip(),
    )


def parse_stream(name: str, data: Any) -> FileStream:
    """Validate one declaration (the contents of ``<name>.yml``); references are checked by
    :func:`parse_contract`, which knows every stream."""
    if not _NAME.match(name):
        raise _fail(name, f"stream name {name!r} is not a lower-case identifier; rename the file")
    if not isinstance(data, dict):
        raise _fail(name, "must be a mapping with description, file_pattern, key, why, columns")
    _check_keys(name, "the stream", data, _STREAM_KEYS)
    description = _one_line(name, "description", data.get("description"), "The provider's transactions of the day.")
    pattern = _file_pattern(name, data.get("file_pattern"))
    raw_columns = data.get("columns")
    if not isinstance(raw_columns, dict) or not raw_columns:
        raise _fail(name, "columns must list the header columns in file order, e.g. {amount: {landing: string, ...}}")
    columns = tuple(_column(name, col, spec) for col, spec in raw_columns.items())
    names = [c.name for c in columns]

    key = data.get("key") or []
    if isinstance(key, str):
        key = [key]
    if not key or not all(isinstance(k, str) for k in key):
        raise _fail(name, "key must list the key columns, e.g. [transaction_id]")
    missing = [k for k in key if k not in names]
    if missing:
        raise _fail(name, f"key column {missing[0]!r} is not among the columns; declare it under columns")
    why = " ".join(str(data.get("why") or "").split())
    if not why:
        raise _fail(name, "needs a short `why`: what the file is for and how it arrives")
    nulls = data.get("null_values", list(DEFAULT_NULL_VALUES))
    if not isinstance(nulls, list) or not all(isinstance(v, str) for v in nulls):
        raise _fail(name, 'null_values must list the texts meaning "no value", e.g. ["", "N/A", "NULL"]')
    return FileStream(
        name=name,
        description=description,
        file_pattern=pattern,
        key=tuple(key),
        why=why,
        columns=columns,
        null_values=tuple(nulls),
    )


def _check_references(streams: Mapping[str, FileStream]) -> None:
    catalog: dict[str, set[str]] | None = None
    for stream in streams.values():
        for column in stream.columns:
            if column.references is None:
                continue
            target, _, target_column = column.references.partition(".")
            if target in streams:
                known = set(streams[target].column_names)
            else:
                if catalog is None:
                    catalog = {s.name: set(s.column_names) for s in load_catalog().streams}
                if target not in catalog:
                    choices = ", ".join(sorted({*streams, *catalog}))
                    raise _fail(
                        stream.name,
                        f"column {column.name} references unknown stream {target!r}; name one of {choices}",
                    )
                known = catalog[target]
            if target_column not in known:
                raise _fail(
                    stream.name,
                    f"column {column.name} references {column.references}, but {target} has no column "
                    f"{target_column!r}; use one of {', '.join(sorted(known))}",
                )


def _check_names(streams: Mapping[str, FileStream]) -> None:
    """Streams share the raw dataset with extract-load, so their tables must not collide; and each
    file name must belong to exactly one stream."""
    catalog = set(load_catalog().names)
    for stream in streams.values():
        if stream.name in catalog or stream.name in _LOADER_TABLES:
            raise _fail(
                stream.name,
                f"stream name {stream.name!r} is already a table of the raw dataset; rename the file, e.g. "
                f"provider_{stream.name}.yml",
            )
        example = stream.file_name(date(2026, 1, 31))
        for other in streams.values():
            if other is not stream and other.matches(example):
                raise _fail(
                    stream.name,
                    f"file_pattern {stream.file_pattern} also matches {other.name}'s {other.file_pattern}; "
                    "give each stream its own file name prefix",
                )


def parse_contract(declarations: Mapping[str, Any], directory: Path = CONTRACT_DIR) -> LandingContract:
    """Validate declarations (``{stream name: file contents}``) into a LandingContract (sorted by name)."""
    _current_dir.append(directory)
    try:
        if not declarations:
            raise ConfigError(
                f"the landing zone declares no file streams; add <stream>.yml files to {display_path(directory)}"
            )
        parsed = {name: parse_stream(name, data) for name, data in sorted(declarations.items())}
        _check_names(parsed)
        _check_references(parsed)
        return LandingContract(streams=tuple(parsed.values()))
    finally:
        _current_dir.pop()


@lru_cache(maxsize=4)
def load_contract(directory: Path = CONTRACT_DIR) -> LandingContract:
    """The parsed, validated file contracts of ``directory`` (cached per directory)."""
    if not directory.is_dir():
        raise ConfigError(f"landing contracts {display_path(directory)} are missing; restore them from version control")
    declarations = {path.stem: read_yaml(path) for path in sorted(directory.glob("*.yml"))}
    return parse_contract(declarations, directory)
