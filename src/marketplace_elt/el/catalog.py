"""The stream catalog (`airbyte/streams/<stream>.yml`): one declaration per source table.

Each file declares everything the platform needs to know about one table: how extract-load syncs
it, its columns and their types, the rows it points at, its staging model and the data-quality
rules the audit mart applies. Everything else reads it: the embedded loader on every sync,
`marketplace-elt el airbyte apply` and Terraform (the Airbyte connection), the raw and staging
quality gates, the simulated source's table list, and dbt through the generated macro
``marketplace_streams()`` (``marketplace-elt catalog render``). The format is described in
docs/adding-a-table.md; ``sync_mode`` uses Airbyte's public-API names:

* ``incremental_deduped_history`` — read rows whose cursor is >= the last saved cursor, keep one
  row per primary key in raw (greatest cursor wins, ties go to the later extraction);
* ``incremental_append`` — read rows whose cursor is >= the last saved cursor minus ``lookback``,
  insert the ones whose primary key raw does not hold yet (an optional ``lookback`` on a deduped
  stream works the same way: re-read rows that did not change are not written again);
* ``full_refresh_overwrite`` — read the whole table and replace raw's contents.

The declared columns are the raw contract the raw gate checks. The loader still reads the columns
from the source at every sync (like Airbyte's discover step), so a column added at the source
reaches raw; the raw gate then reports it until it is declared here.

Streams are ordered for loading: every stream after the streams its columns reference (ties by
name), so the simulated source can fill and empty its tables in this order.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

import yaml

from marketplace_elt.errors import ConfigError
from marketplace_elt.quality.raw_contract import SOURCE_TO_BIGQUERY, bigquery_type
from marketplace_elt.settings import PROJECT_ROOT

CATALOG_DIR = PROJECT_ROOT / "airbyte" / "streams"
SETTINGS_FILE = "_catalog.yml"  # settings shared by all streams; every other *.yml is one stream

SyncMode = Literal["incremental_deduped_history", "incremental_append", "full_refresh_overwrite"]
SYNC_MODES: tuple[SyncMode, ...] = ("incremental_deduped_history", "incremental_append", "full_refresh_overwrite")

_DURATION = re.compile(r"^\s*(\d+)\s*(second|minute|hour|day)s?\s*$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")
_INTEGER_TYPES = frozenset({"int2", "int4", "int8"})
_TIMESTAMP_TYPES = frozenset({"timestamptz", "timestamp"})
# key types whose text form is the same in PostgreSQL and in raw (cast to STRING): what delete
# reconciliation compares
_RECONCILABLE_KEY_TYPES = frozenset({"uuid", "int2", "int4", "int8", "varchar", "text", "bpchar"})
Deletes = Literal["none", "hard"]

_STREAM_KEYS = frozenset(
    {
        "description",
        "sync_mode",
        "primary_key",
        "cursor_field",
        "lookback",
        "deletes",
        "why",
        "columns",
        "staging",
        "audit",
    }
)
_STAGING_KEYS = frozenset({"model", "key", "matches_source"})
_MATCHES_SOURCE_KEYS = frozenset({"distinct", "source_distinct", "tolerance_pct", "where"})
_AUDIT_KEYS = frozenset({"model", "key", "where", "rules"})
_RULE_KEYS = frozenset({"reason", "words", "when"})
_COLUMN_KEYS = frozenset({"type", "references"})
_SETTINGS_KEYS = frozenset({"source_schema"})


@dataclass(frozen=True)
class Column:
    """A source column: its PostgreSQL udt name, the BigQuery type it lands as in raw, and the
    stream its values point at (a foreign key, or a reference in meaning only)."""

    name: str
    source_type: str
    bigquery_type: str
    references: str | None = None


@dataclass(frozen=True)
class AuditRule:
    """One data-quality rule of the audit mart: rows where ``when`` holds break it.

    ``when`` is BigQuery SQL over the audited model's columns; ``{stream}`` names the audited rows of
    another stream. ``words`` is the rule as mart_audit_daily.invalid_rule shows it.
    """

    reason: str
    words: str
    when: str

    @property
    def reads(self) -> tuple[str, ...]:
        """Streams the rule reads through ``{stream}`` placeholders (sorted, without duplicates)."""
        return tuple(sorted(set(_PLACEHOLDER.findall(self.when))))

    @property
    def sql(self) -> str:
        """``when`` with each ``{stream}`` replaced by the name of that stream's rows (a CTE)."""
        return _PLACEHOLDER.sub(lambda m: m.group(1), self.when)


@dataclass(frozen=True)
class Stream:
    """One source table: how it is synced, its columns, its staging model and its audit rules.

    ``lookback`` is a timedelta for timestamp cursors and an int for integer cursors (how far below
    the saved cursor append streams re-read).
    """

    name: str
    sync_mode: SyncMode
    primary_key: tuple[str, ...]
    cursor_field: str | None
    lookback: timedelta | int | None
    deletes: Deletes = "none"
    why: str = ""
    description: str = ""
    columns: tuple[Column, ...] = ()
    staging_model: str = ""
    staging_key: str = ""
    staging_matches_source: Mapping[str, Any] = field(default_factory=dict)
    audit_model: str = ""
    audit_key: str = ""
    audit_where: str = ""
    audit_rules: tuple[AuditRule, ...] = ()

    @property
    def incremental(self) -> bool:
        return self.sync_mode != "full_refresh_overwrite"

    @property
    def captures_deletes(self) -> bool:
        """Whether rows the source hard-deletes are marked deleted in raw (``_ab_cdc_deleted_at``)."""
        return self.deletes == "hard"

    @property
    def deduped(self) -> bool:
        return self.sync_mode == "incremental_deduped_history"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise ConfigError(f"stream {self.name} declares no column {name!r}; add it to {_file(self.name)}")

    @property
    def references(self) -> tuple[str, ...]:
        """Other streams this stream's columns point at (sorted): they load first."""
        return tuple(sorted({c.references for c in self.columns if c.references and c.references != self.name}))

    @property
    def audit_reads(self) -> tuple[str, ...]:
        """Streams the audit rules read (sorted)."""
        return tuple(sorted({s for rule in self.audit_rules for s in rule.reads}))


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


class NamedStreams(Generic[N]):
    """Lookup by name over declared streams; shared by this catalog and the landing contracts."""

    streams: tuple[N, ...]
    kind = "stream"  # how an unknown name is reported

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.streams]

    def stream(self, name: str) -> N:
        for s in self.streams:
            if s.name == name:
                return s
        raise ConfigError(f"unknown {self.kind} {name!r}; choose from {', '.join(self.names)}")

    def select(self, names: list[str] | None) -> list[N]:
        """The streams named (declaration order, duplicates removed), or all streams for None/empty."""
        if not names:
            return list(self.streams)
        wanted = {self.stream(n).name for n in names}
        return [s for s in self.streams if s.name in wanted]


@dataclass(frozen=True)
class Catalog(NamedStreams[Stream]):
    source_schema: str
    streams: tuple[Stream, ...]


# --- parsing ------------------------------------------------------------------------------------


def display(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


_current_dir: list[Path] = [CATALOG_DIR]


def _file(stream: str) -> str:
    return display(_current_dir[-1] / f"{stream}.yml")


def _fail(stream: str, problem: str) -> ConfigError:
    return ConfigError(f"{_file(stream)}: {problem}")


def _check_keys(stream: str, where: str, data: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise _fail(stream, f"{where} has unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(allowed))}")


def _mapping(stream: str, where: str, value: Any, example: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(stream, f"{where} must be a mapping, e.g. {example}")
    return value


def _identifier(stream: str, where: str, value: Any, example: str) -> str:
    if not (isinstance(value, str) and _NAME.match(value)):
        raise _fail(stream, f"{where} {value!r} is not a lower-case identifier; write e.g. {example}")
    return value


def _lookback(raw: Any, stream: str) -> timedelta | int | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        raise _fail(stream, 'lookback must be e.g. "3 days" or an id count like 1000')
    if isinstance(raw, int):
        return raw
    match = _DURATION.match(str(raw))
    if not match:
        raise _fail(stream, f'lookback {raw!r} is not like "3 days"; use seconds/minutes/hours/days')
    return timedelta(**{f"{match.group(2)}s": int(match.group(1))})


def _known_type(udt: str) -> bool:
    return udt in SOURCE_TO_BIGQUERY or (udt.startswith("_") and udt[1:] in SOURCE_TO_BIGQUERY)


def _columns(stream: str, raw: Any, known_streams: frozenset[str]) -> tuple[Column, ...]:
    if not isinstance(raw, dict) or not raw:
        raise _fail(stream, "columns must map every source column to its PostgreSQL type, e.g. {id: uuid}")
    columns = []
    for name, spec in raw.items():
        _identifier(stream, "column", name, "order_id")
        where = f"column {name}"
        if isinstance(spec, dict):
            _check_keys(stream, where, spec, _COLUMN_KEYS)
            udt, references = spec.get("type"), spec.get("references")
        else:
            udt, references = spec, None
        if not isinstance(udt, str) or not _known_type(udt):
            raise _fail(
                stream,
                f"{where} has unknown type {udt!r}; use a PostgreSQL udt name "
                f"({', '.join(sorted(SOURCE_TO_BIGQUERY))}, or _<type> for an array)",
            )
        if references is not None and references not in known_streams:
            raise _fail(
                stream,
                f"{where} references unknown stream {references!r}; name one of {', '.join(sorted(known_streams))}",
            )
        bq_type = bigquery_type("ARRAY" if udt.startswith("_") else "", udt)
        assert bq_type is not None  # _known_type guarantees a mapping
        columns.append(Column(name=name, source_type=udt, bigquery_type=bq_type, references=references))
    return tuple(columns)


def _rules(stream: str, raw: Any, known_streams: frozenset[str]) -> tuple[AuditRule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(stream, "audit.rules must be a list of {reason, words, when}")
    rules: list[AuditRule] = []
    for index, entry in enumerate(raw, start=1):
        where = f"audit rule #{index}"
        if not isinstance(entry, dict):
            raise _fail(stream, f"{where} must be a mapping {{reason, words, when}}")
        _check_keys(stream, where, entry, _RULE_KEYS)
        reason = _identifier(stream, f"{where} reason", entry.get("reason"), "quantity_not_positive")
        words, when = entry.get("words"), entry.get("when")
        if not isinstance(words, str) or not words.strip() or "'" in words or "\n" in words:
            raise _fail(stream, f"{where} ({reason}) needs `words`: one line in plain words, without single quotes")
        if not isinstance(when, str) or not when.strip():
            raise _fail(stream, f'{where} ({reason}) needs `when`: BigQuery SQL, e.g. "coalesce(quantity <= 0, true)"')
        rule = AuditRule(reason=reason, words=words.strip(), when=when.strip())
        unknown = [s for s in rule.reads if s not in known_streams]
        if unknown:
            raise _fail(
                stream,
                f"{where} ({reason}) reads unknown stream {{{unknown[0]}}}; "
                f"name one of {', '.join(sorted(known_streams))}",
            )
        if any(r.reason == reason for r in rules):
            raise _fail(stream, f"{where}: reason {reason!r} appears twice; give each rule its own reason")
        rules.append(rule)
    return tuple(rules)


def parse_stream(name: str, data: Any, known_streams: frozenset[str]) -> Stream:
    """Validate one stream declaration (the contents of ``<name>.yml``)."""
    if not _NAME.match(name):
        raise _fail(name, f"stream name {name!r} is not a lower-case identifier; rename the file")
    if not isinstance(data, dict):
        raise _fail(name, "must be a mapping with description, sync_mode, primary_key, columns, staging")
    _check_keys(name, "the stream", data, _STREAM_KEYS)
    description = data.get("description")
    if not isinstance(description, str) or not description.strip() or "\n" in description.strip():
        raise _fail(name, "needs a one-line `description` of the table")
    mode = data.get("sync_mode")
    if mode not in SYNC_MODES:
        raise _fail(name, f"sync_mode {mode!r} is not one of {', '.join(SYNC_MODES)}")
    columns = _columns(name, data.get("columns"), known_streams)
    column_types = {c.name: c.source_type for c in columns}

    pk = data.get("primary_key") or []
    if isinstance(pk, str):
        pk = [pk]
    if not pk or not all(isinstance(c, str) and _NAME.match(c) for c in pk):
        raise _fail(name, "primary_key must list the key columns, e.g. [id]")
    missing = [c for c in pk if c not in column_types]
    if missing:
        raise _fail(name, f"primary_key column {missing[0]!r} is not among the columns; declare it under columns")

    cursor = data.get("cursor_field")
    lookback = _lookback(data.get("lookback"), name)
    if mode == "full_refresh_overwrite":
        if cursor is not None:
            raise _fail(name, "full_refresh_overwrite reads the whole table: remove cursor_field")
        if lookback is not None:
            raise _fail(name, "lookback applies to incremental streams only; remove it")
    else:
        if not (isinstance(cursor, str) and _NAME.match(cursor)):
            raise _fail(name, f"{mode} needs a cursor_field, e.g. updated_at")
        if cursor not in column_types:
            raise _fail(name, f"cursor_field {cursor!r} is not among the columns; declare it or pick another")
        cursor_type = column_types[cursor]
        if isinstance(lookback, timedelta) and cursor_type not in _TIMESTAMP_TYPES:
            raise _fail(name, f"cursor {cursor} is {cursor_type}: give lookback as a count (e.g. 1000), not a duration")
        if isinstance(lookback, int) and cursor_type not in _INTEGER_TYPES:
            raise _fail(name, f'cursor {cursor} is {cursor_type}: give lookback as a duration (e.g. "3 days")')

    deletes = data.get("deletes", "none")
    if deletes not in ("none", "hard"):
        raise _fail(name, f"deletes {deletes!r} is not none or hard (hard: the source deletes rows of this table)")
    if deletes == "hard":
        if mode == "full_refresh_overwrite":
            raise _fail(name, "full_refresh_overwrite re-reads the table, deleted rows included: remove deletes")
        odd = [c for c in pk if column_types[c] not in _RECONCILABLE_KEY_TYPES]
        if odd:
            raise _fail(
                name,
                f"deletes: hard compares primary keys as text; key column {odd[0]} is {column_types[odd[0]]}, "
                f"use a key of type {', '.join(sorted(_RECONCILABLE_KEY_TYPES))}",
            )

    staging = _mapping(name, "staging", data.get("staging"), "{key: order_item_id}")
    _check_keys(name, "staging", staging, _STAGING_KEYS)
    staging_model = _identifier(name, "staging.model", staging.get("model", f"stg_marketplace__{name}"), "stg_x")
    staging_key = _identifier(name, "staging.key", staging.get("key"), f"{name.rstrip('s')}_id")
    matches = _mapping(name, "staging.matches_source", staging.get("matches_source"), "{distinct: event_id}")
    _check_keys(name, "staging.matches_source", matches, _MATCHES_SOURCE_KEYS)
    for key in ("distinct", "source_distinct"):
        if key in matches:
            _identifier(name, f"staging.matches_source.{key}", matches[key], "event_id")
    tolerance = matches.get("tolerance_pct", 0)
    if isinstance(tolerance, bool) or not isinstance(tolerance, int | float) or tolerance < 0:
        raise _fail(name, "staging.matches_source.tolerance_pct must be a percentage >= 0, e.g. 0.5")
    if not isinstance(matches.get("where", ""), str):
        raise _fail(name, 'staging.matches_source.where must be BigQuery SQL, e.g. "not is_test"')

    audit = _mapping(name, "audit", data.get("audit"), "{rules: [...]}")
    _check_keys(name, "audit", audit, _AUDIT_KEYS)
    audit_model = _identifier(name, "audit.model", audit.get("model", staging_model), "base_marketplace__payments")
    audit_where = audit.get("where", "")
    if not isinstance(audit_where, str):
        raise _fail(name, 'audit.where must be BigQuery SQL selecting the rows to audit, e.g. "deleted_at is null"')
    audit_key = audit.get("key", staging_key)
    if not isinstance(audit_key, str) or not audit_key.strip():
        raise _fail(name, 'audit.key must be the audited row\'s key expression, e.g. "cast(event_id as string)"')

    return Stream(
        name=name,
        sync_mode=cast(SyncMode, mode),
        primary_key=tuple(pk),
        cursor_field=cursor if mode != "full_refresh_overwrite" else None,
        lookback=lookback,
        deletes=cast(Deletes, deletes),
        why=" ".join(str(data.get("why") or "").split()),
        description=description.strip(),
        columns=columns,
        staging_model=staging_model,
        staging_key=staging_key,
        staging_matches_source=dict(matches),
        audit_model=audit_model,
        audit_key=audit_key.strip(),
        audit_where=" ".join(audit_where.split()),
        audit_rules=_rules(name, audit.get("rules"), known_streams),
    )


def load_order(streams: Mapping[str, Stream]) -> list[str]:
    """Stream names, each after the streams it references (ties by name); a cycle is a ConfigError."""
    pending = {name: set(s.references) for name, s in streams.items()}
    ready = [name for name, deps in pending.items() if not deps]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = heapq.heappop(ready)
        order.append(name)
        for other, deps in pending.items():
            if name in deps:
                deps.discard(name)
                if not deps:
                    heapq.heappush(ready, other)
    if len(order) != len(streams):
        cycle = sorted(n for n in streams if n not in order)
        raise ConfigError(
            f"the streams {', '.join(cycle)} reference each other in a cycle (columns' `references` in "
            f"{display(_current_dir[-1])}); remove the reference that is not a real parent"
        )
    return order


def parse_catalog(
    declarations: Mapping[str, Any], source_schema: str = "public", directory: Path = CATALOG_DIR
) -> Catalog:
    """Validate stream declarations (``{stream name: file contents}``) into a load-ordered Catalog."""
    _current_dir.append(directory)
    try:
        if not declarations:
            raise ConfigError(f"the catalog declares no streams; add <stream>.yml files to {display(directory)}")
        known = frozenset(declarations)
        parsed = {name: parse_stream(name, data, known) for name, data in declarations.items()}
        if not isinstance(source_schema, str) or not _NAME.match(source_schema):
            raise ConfigError(f"{display(directory / SETTINGS_FILE)}: source_schema must name a schema, e.g. public")
        return Catalog(source_schema=source_schema, streams=tuple(parsed[n] for n in load_order(parsed)))
    finally:
        _current_dir.pop()


def read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{display(path)} is not valid YAML{where}; fix the syntax") from None


@lru_cache(maxsize=4)
def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """The parsed, validated catalog of ``directory`` (cached per directory)."""
    if not directory.is_dir():
        raise ConfigError(f"stream catalog {display(directory)} is missing; restore it from version control")
    settings: Any = {}
    settings_path = directory / SETTINGS_FILE
    if settings_path.exists():
        settings = read_yaml(settings_path) or {}
        if not isinstance(settings, dict):
            raise ConfigError(f"{display(settings_path)} must be a mapping, e.g. source_schema: public")
        unknown = sorted(str(k) for k in settings if k not in _SETTINGS_KEYS)
        if unknown:
            raise ConfigError(f"{display(settings_path)} has unknown key(s) {', '.join(unknown)}; use source_schema")
    declarations = {
        path.stem: read_yaml(path) for path in sorted(directory.glob("*.yml")) if path.name != SETTINGS_FILE
    }
    return parse_catalog(declarations, settings.get("source_schema", "public"), directory)


def stream_names() -> list[str]:
    """Names of all catalog streams, in load order (one Airflow task each)."""
    return load_catalog().names


# --- the dbt view of the catalog ------------------------------------------------------------------

DBT_MACRO_RELPATH = Path("macros") / "generated" / "marketplace_streams.sql"
DBT_MACRO_HEADER = "{# Generated from airbyte/streams/*.yml by marketplace-elt catalog render; do not edit. #}"


def _jinja(value: Any, indent: int = 0) -> str:
    """A Jinja literal for strings, lists and dicts (strings single-quoted, escapes doubled)."""
    pad = "    " * indent
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
        return f"'{escaped}'"
    if isinstance(value, list | tuple):
        if not value:
            return "[]"
        if all(isinstance(v, str) for v in value):
            return "[" + ", ".join(_jinja(v) for v in value) + "]"
        inner = ",\n".join(f"{pad}    {_jinja(v, indent + 1)}" for v in value)
        return f"[\n{inner},\n{pad}]"
    if isinstance(value, dict):
        inner = ",\n".join(f"{pad}    {_jinja(k)}: {_jinja(v, indent + 1)}" for k, v in value.items())
        return f"{{\n{inner},\n{pad}}}"
    raise TypeError(f"no Jinja literal for {type(value).__name__}")


def dbt_streams(catalog: Catalog) -> list[dict[str, Any]]:
    """What dbt knows of each stream: audited model and key, rules (``when`` with CTE names), and the
    streams the rules read."""
    return [
        {
            "name": s.name,
            "audit_model": s.audit_model,
            "audit_key": s.audit_key,
            "audit_where": s.audit_where,
            "rules": [{"reason": r.reason, "words": r.words, "when": r.sql} for r in s.audit_rules],
            "references": list(s.audit_reads),
        }
        for s in catalog.streams
    ]


def render_dbt_macro(catalog: Catalog) -> str:
    """The text of ``dbt/macros/generated/marketplace_streams.sql`` for ``catalog``."""
    return (
        f"{DBT_MACRO_HEADER}\n"
        "{% macro marketplace_streams() %}{{ return("
        f"{_jinja(dbt_streams(catalog))}"
        ") }}{% endmacro %}\n"
    )


def write_dbt_macro(dbt_dir: Path, catalog: Catalog | None = None) -> tuple[Path, bool]:
    """Write the generated macro under ``dbt_dir`` if it differs; returns (path, whether it changed)."""
    path = dbt_dir / DBT_MACRO_RELPATH
    text = render_dbt_macro(catalog or load_catalog())
    try:
        if path.read_text() == text:
            return path, False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".sql.tmp")
    tmp.write_text(text)
    tmp.replace(path)
    return path, True
