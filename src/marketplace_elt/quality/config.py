"""The quality-gate configuration: which checks each layer runs, on which tables, with which thresholds.

Everything a data engineer tunes lives in ``thresholds.yml`` next to this module (see
docs/quality-gates.md for the format). This module reads and validates it into :class:`CheckSpec`
objects, one per expectation, so a typo fails at load time with one clear line instead of half-way
through a gate.

A layer with ``from_catalog: true`` (raw, staging) also gets the checks the stream catalog
(airbyte/streams/*.yml) implies, before its own: per stream, the raw layer checks the declared
columns and types (plus any live source column missing from raw), a non-empty table and, for
full-refresh streams, exactly the source's row count; the staging layer reconciles each staging
model with its source table (``staging.matches_source`` in the stream file refines the count).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from marketplace_elt.errors import ConfigError

if TYPE_CHECKING:
    from marketplace_elt.el.catalog import Catalog

DEFAULT_CONFIG_PATH = Path(__file__).with_name("thresholds.yml")

LAYERS = ("raw", "staging", "intermediate", "marts")
DATASETS = ("raw", "staging", "marts")

# expect-kind -> (allowed keys besides `expect`, keys that must be present)
_KINDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "raw_contract": (frozenset({"source_table", "description"}), frozenset()),
    "row_count": (frozenset({"min", "max", "where", "description"}), frozenset()),
    "not_null": (frozenset({"column", "max", "where", "description"}), frozenset({"column"})),
    "unique": (frozenset({"column", "max", "where", "description"}), frozenset({"column"})),
    "accepted_values": (
        frozenset({"column", "values", "max", "where", "description"}),
        frozenset({"column", "values"}),
    ),
    "between": (
        frozenset({"column", "range", "max", "where", "description"}),
        frozenset({"column", "range"}),
    ),
    "references": (frozenset({"column", "to", "max", "where", "description"}), frozenset({"column", "to"})),
    "matches_source": (
        frozenset({"source_table", "distinct", "source_distinct", "tolerance_pct", "where", "description"}),
        frozenset(),
    ),
    "metric": (
        frozenset({"name", "sql", "min", "max", "where", "description"}),
        frozenset({"name", "sql"}),
    ),
}


@dataclass(frozen=True)
class TableRef:
    """A table in one of the platform's datasets (``dataset`` is raw, staging or marts)."""

    dataset: str
    table: str
    column: str | None = None


@dataclass(frozen=True)
class CheckSpec:
    """One expectation of a gate, as written in the config (defaults filled in).

    ``min``/``max`` bound the check's observed value (a count, a percentage or a custom metric);
    ``None`` leaves that side open.
    """

    layer: str
    dataset: str
    table: str
    expect: str
    name: str
    column: str | None = None
    min: float | None = None
    max: float | None = None
    where: str | None = None
    values: tuple[str | int | bool, ...] = ()
    range: tuple[float | None, float | None] = (None, None)
    ref: TableRef | None = None
    source_table: str | None = None
    distinct: str | None = None
    source_distinct: str | None = None
    sql: str | None = None
    description: str | None = None
    # raw_contract derived from the catalog: the declared (column, BigQuery type) pairs
    columns: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        """Identifier unique within a layer: ``<table>.<name>`` (also the GX metric column name)."""
        return f"{self.table}.{self.name}"


@dataclass(frozen=True)
class LayerConfig:
    name: str
    dataset: str
    checks: tuple[CheckSpec, ...]

    @property
    def tables(self) -> list[str]:
        return list(dict.fromkeys(c.table for c in self.checks))


@dataclass(frozen=True)
class GateConfig:
    path: Path
    layers: Mapping[str, LayerConfig]
    keep_runs: int = 100  # validation results (and their data-docs pages) kept per layer

    def layer(self, name: str) -> LayerConfig:
        if name not in self.layers:
            raise ConfigError(
                f"quality config {self.path} has no layer {name!r}; add it under `layers:` "
                f"or use one of {', '.join(self.layers) or 'raw, staging, intermediate, marts'}"
            )
        return self.layers[name]


def load_config(path: Path | str | None = None, catalog: Catalog | None = None) -> GateConfig:
    """Read and validate the gate config (default: the packaged ``thresholds.yml``).

    Layers marked ``from_catalog: true`` get the checks derived from ``catalog`` (default: the
    stream catalog in airbyte/streams/) before their own.
    """
    cfg_path = Path(path) if path is not None else DEFAULT_CONFIG_PATH
    try:
        raw = yaml.safe_load(cfg_path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"quality config {cfg_path} does not exist; create it or pass an existing file") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"quality config {cfg_path} is not valid YAML{where}; fix the syntax") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("layers"), dict):
        raise ConfigError(f"quality config {cfg_path} must be a mapping with a `layers:` section")
    unknown = [k for k in raw if k not in ("version", "data_docs", "layers") and not str(k).startswith("x-")]
    if unknown:
        raise ConfigError(
            f"quality config {cfg_path} has unknown top-level keys {', '.join(map(str, unknown))}; "
            "use version, data_docs, layers (or an x- prefix for YAML anchors)"
        )
    layers: dict[str, LayerConfig] = {}
    for layer_name, body in raw["layers"].items():
        layers[str(layer_name)] = _parse_layer(cfg_path, str(layer_name), body, catalog)
    docs = raw.get("data_docs") or {}
    keep = docs.get("keep_runs", 100) if isinstance(docs, dict) else None
    if isinstance(keep, bool) or not isinstance(keep, int) or keep < 1:
        raise ConfigError(f"quality config {cfg_path}: `data_docs.keep_runs` must be a whole number >= 1")
    return GateConfig(path=cfg_path, layers=layers, keep_runs=keep)


def _fail(path: Path, where: str, problem: str) -> ConfigError:
    return ConfigError(f"quality config {path}, {where}: {problem}")


def _parse_layer(path: Path, name: str, body: Any, catalog: Catalog | None = None) -> LayerConfig:
    if name not in LAYERS:
        raise _fail(path, f"layer {name!r}", f"unknown layer; use one of {', '.join(LAYERS)}")
    if not isinstance(body, dict):
        raise _fail(path, f"layer {name!r}", "must be a mapping with `dataset`, `defaults` and `tables`")
    dataset = str(body.get("dataset", ""))
    if dataset not in DATASETS:
        raise _fail(path, f"layer {name!r}", f"`dataset` must be one of {', '.join(DATASETS)}")
    defaults = body.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise _fail(path, f"layer {name!r}", "`defaults` must be a mapping (e.g. tolerance_pct: 0.5)")
    unknown = sorted(str(k) for k in body if k not in ("dataset", "defaults", "tables", "from_catalog"))
    if unknown:
        raise _fail(
            path, f"layer {name!r}", f"unknown key(s) {', '.join(unknown)}; use dataset, defaults, tables, from_catalog"
        )
    tables = body.get("tables") or {}
    if not isinstance(tables, dict):
        raise _fail(path, f"layer {name!r}", "`tables` must map table names to lists of checks")
    checks: list[CheckSpec] = []
    seen: set[str] = set()
    from_catalog = body.get("from_catalog", False)
    if not isinstance(from_catalog, bool):
        raise _fail(path, f"layer {name!r}", "`from_catalog` must be true or false")
    if from_catalog:
        if name not in _DERIVED:
            raise _fail(path, f"layer {name!r}", f"`from_catalog` applies to the {' and '.join(_DERIVED)} layers only")
        tolerance = _number(path, f"layer {name!r} defaults", "tolerance_pct", defaults.get("tolerance_pct", 0))
        for spec in _DERIVED[name](_catalog(catalog), dataset, tolerance or 0.0):
            seen.add(spec.key)
            checks.append(spec)
    for table, entries in tables.items():
        if not isinstance(entries, list) or not entries:
            raise _fail(path, f"layer {name!r} table {table!r}", "must be a non-empty list of checks")
        for index, entry in enumerate(entries, start=1):
            where = f"layer {name!r} table {table!r} check #{index}"
            spec = _parse_check(path, where, name, dataset, str(table), entry, defaults)
            if spec.key in seen:
                raise _fail(path, where, f"duplicate check {spec.name!r}; give one of them a distinct `name`")
            seen.add(spec.key)
            checks.append(spec)
    return LayerConfig(name=name, dataset=dataset, checks=tuple(checks))


def _catalog(catalog: Catalog | None) -> Catalog:
    if catalog is not None:
        return catalog
    from marketplace_elt.el.catalog import load_catalog

    return load_catalog()


def _raw_checks(catalog: Catalog, dataset: str, tolerance: float) -> list[CheckSpec]:
    """Per stream: declared columns and types, non-empty, and full-refresh counts equal to the source's."""
    checks: list[CheckSpec] = []
    for stream in catalog.streams:
        contract = CheckSpec(
            layer="raw",
            dataset=dataset,
            table=stream.name,
            source_table=stream.name,
            expect="raw_contract",
            name="raw_contract",
            max=0.0,
            columns=tuple((c.name, c.bigquery_type) for c in stream.columns),
        )
        checks.append(contract)
        checks.append(replace(contract, expect="row_count", name="row_count", min=1.0, max=None, columns=()))
        if not stream.incremental:  # replaced by every sync: exactly the source count
            checks.append(replace(contract, expect="matches_source", name="matches_source", columns=()))
    return checks


def _staging_checks(catalog: Catalog, dataset: str, tolerance: float) -> list[CheckSpec]:
    """Per stream: the staging model's row (or distinct-key) count against its source table."""
    checks: list[CheckSpec] = []
    for stream in catalog.streams:
        match = stream.staging_matches_source
        tol = match.get("tolerance_pct", tolerance)  # validated with the catalog
        distinct = match.get("distinct")
        source_distinct = match.get("source_distinct") or distinct
        checks.append(
            CheckSpec(
                layer="staging",
                dataset=dataset,
                table=stream.staging_model,
                expect="matches_source",
                name="matches_source",
                max=float(tol),
                source_table=stream.name,
                distinct=str(distinct) if distinct else None,
                source_distinct=str(source_distinct) if source_distinct else None,
                where=str(match["where"]) if match.get("where") else None,
            )
        )
    return checks


_DERIVED: dict[str, Callable[[Catalog, str, float], list[CheckSpec]]] = {
    "raw": _raw_checks,
    "staging": _staging_checks,
}


def _number(path: Path, where: str, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(path, where, f"`{key}` must be a number, not {value!r}")
    return float(value)


def _parse_check(
    path: Path, where: str, layer: str, dataset: str, table: str, entry: Any, defaults: Mapping[str, Any]
) -> CheckSpec:
    if not isinstance(entry, dict) or "expect" not in entry:
        raise _fail(path, where, "each check is a mapping with an `expect:` kind")
    kind = str(entry["expect"])
    if kind not in _KINDS:
        raise _fail(path, where, f"unknown expect {kind!r}; use one of {', '.join(_KINDS)}")
    allowed, required = _KINDS[kind]
    keys = set(entry) - {"expect"}
    unknown = keys - allowed
    if unknown:
        raise _fail(
            path, where, f"`{kind}` does not take {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(allowed))})"
        )
    missing = required - keys
    if missing:
        raise _fail(path, where, f"`{kind}` needs {', '.join(sorted(missing))}")

    column = str(entry["column"]) if "column" in entry else None
    lo = _number(path, where, "min", entry.get("min"))
    hi = _number(path, where, "max", entry.get("max"))
    fields: dict[str, Any] = {}
    if kind == "row_count":
        lo = 1.0 if "min" not in entry else lo
    elif kind in ("not_null", "unique", "accepted_values", "between", "references"):
        hi = 0.0 if "max" not in entry else hi
        lo = None
    elif kind == "raw_contract":
        lo, hi = None, 0.0
        fields["source_table"] = str(entry.get("source_table") or table)
    elif kind == "matches_source":
        tol = entry.get("tolerance_pct", defaults.get("tolerance_pct", 0))
        lo, hi = None, _number(path, where, "tolerance_pct", tol)
        fields["source_table"] = str(entry.get("source_table") or table)
        fields["distinct"] = entry.get("distinct")
        fields["source_distinct"] = entry.get("source_distinct") or entry.get("distinct")
    elif kind == "metric":
        fields["sql"] = str(entry["sql"])
        if lo is None and hi is None:
            raise _fail(path, where, "`metric` needs a `min` or a `max` threshold")

    if kind == "accepted_values":
        values = entry["values"]
        if not isinstance(values, list) or not values:
            raise _fail(path, where, "`values` must be a non-empty list")
        types = {type(v) for v in values}
        if len(types) != 1 or not types <= {str, int, bool}:
            raise _fail(path, where, "`values` must all be strings (or all integers, or all booleans)")
        fields["values"] = tuple(values)
    if kind == "between":
        bounds = entry["range"]
        if not isinstance(bounds, list) or len(bounds) != 2 or bounds == [None, None]:
            raise _fail(path, where, "`range` must be [min, max] (use null for an open end)")
        fields["range"] = (
            _number(path, where, "range", bounds[0]),
            _number(path, where, "range", bounds[1]),
        )
    if kind == "references":
        fields["ref"] = _parse_ref(path, where, entry["to"])

    name = str(entry["name"]) if kind == "metric" else (f"{kind}:{column}" if column else kind)
    return CheckSpec(
        layer=layer,
        dataset=dataset,
        table=table,
        expect=kind,
        name=name,
        column=column,
        min=lo,
        max=hi,
        where=str(entry["where"]) if entry.get("where") else None,
        description=str(entry["description"]) if entry.get("description") else None,
        **fields,
    )


def _parse_ref(path: Path, where: str, to: Any) -> TableRef:
    """`to:` is ``dataset.table.column`` (e.g. ``marts.dim_users.user_id``)."""
    parts = str(to).split(".") if isinstance(to, str) else []
    if len(parts) != 3 or parts[0] not in DATASETS:
        raise _fail(path, where, "`to` must be dataset.table.column, e.g. marts.dim_users.user_id")
    return TableRef(dataset=parts[0], table=parts[1], column=parts[2])


def describe_check(spec: CheckSpec) -> str:
    """What the observed value of a check counts, in plain words."""
    if spec.description:
        return spec.description
    col = spec.column
    if spec.expect == "raw_contract":
        if spec.columns:
            return (
                f"columns missing or mistyped vs the declared columns of stream {spec.source_table} "
                "(and its live source table)"
            )
        return f"columns missing or mistyped vs the raw contract of source table {spec.source_table}"
    if spec.expect == "row_count":
        return "row count" + (f" where {spec.where}" if spec.where else "")
    if spec.expect == "not_null":
        return f"rows with NULL {col}"
    if spec.expect == "unique":
        return f"duplicated {col} values" + (f" where {spec.where}" if spec.where else "")
    if spec.expect == "accepted_values":
        return f"rows whose {col} is not one of {', '.join(str(v) for v in spec.values)}"
    if spec.expect == "between":
        lo, hi = spec.range
        band = f"[{'-inf' if lo is None else _fmt(lo)}, {'+inf' if hi is None else _fmt(hi)}]"
        return f"rows with {col} outside {band}"
    if spec.expect == "references" and spec.ref is not None:
        return f"{col} values missing from {spec.ref.dataset}.{spec.ref.table}.{spec.ref.column}"
    if spec.expect == "matches_source":
        what = f"distinct {spec.distinct}" if spec.distinct else "row count"
        return f"{what} difference vs source table {spec.source_table}"
    return spec.name


def describe_threshold(spec: CheckSpec) -> str:
    """The accepted band of the observed value, in words (``<= 0``, ``between 1 and 10``)."""
    unit = " %" if spec.expect == "matches_source" else ""
    if spec.min is not None and spec.max is not None:
        if spec.min == spec.max:
            return f"= {_fmt(spec.min)}{unit}"
        return f"between {_fmt(spec.min)} and {_fmt(spec.max)}{unit}"
    if spec.min is not None:
        return f">= {_fmt(spec.min)}{unit}"
    if spec.max is not None:
        return f"<= {_fmt(spec.max)}{unit}"
    return "any"


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"
