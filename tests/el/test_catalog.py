"""The stream catalog (airbyte/streams/*.yml): it matches the source schema, it is load-ordered, the
dbt macro generated from it is current, and bad declarations fail with one clear line."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from marketplace_elt.el import STREAMS, load_catalog
from marketplace_elt.el.catalog import (
    CATALOG_DIR,
    DBT_MACRO_HEADER,
    DBT_MACRO_RELPATH,
    Catalog,
    dbt_streams,
    parse_catalog,
    render_dbt_macro,
)
from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import PROJECT_ROOT

SCHEMA_SQL = PROJECT_ROOT / "source_db" / "schema.sql"

# PostgreSQL column types as schema.sql writes them -> the udt name information_schema reports.
SQL_TO_UDT = {
    "uuid": "uuid",
    "varchar": "varchar",
    "char": "bpchar",
    "text": "text",
    "text[]": "_text",
    "integer": "int4",
    "serial": "int4",
    "bigserial": "int8",
    "numeric": "numeric",
    "boolean": "bool",
    "timestamptz": "timestamptz",
    "timestamp without time zone": "timestamp",
    "jsonb": "jsonb",
}


def schema_tables() -> dict[str, dict[str, tuple[str, str | None]]]:
    """``table -> {column: (udt name, referenced table or None)}`` read from schema.sql."""
    tables: dict[str, dict[str, tuple[str, str | None]]] = {}
    for match in re.finditer(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", SCHEMA_SQL.read_text(), re.S):
        columns: dict[str, tuple[str, str | None]] = {}
        for line in match.group(2).splitlines():
            col = re.match(r"\s+(\w+)\s+(timestamp without time zone|text\[\]|\w+)", line)
            if not col or col.group(1).upper() in ("CHECK", "PRIMARY", "UNIQUE"):
                continue
            ref = re.search(r"REFERENCES (\w+)", line)
            columns[col.group(1)] = (SQL_TO_UDT[col.group(2)], ref.group(1) if ref else None)
        tables[match.group(1)] = columns
    return tables


def test_catalog_covers_every_source_table_with_its_columns_and_types() -> None:
    tables = schema_tables()
    assert set(STREAMS) == set(tables)
    for stream in load_catalog().streams:
        declared = {c.name: c.source_type for c in stream.columns}
        assert declared == {name: udt for name, (udt, _) in tables[stream.name].items()}, stream.name


def test_every_foreign_key_is_a_declared_reference() -> None:
    for stream in load_catalog().streams:
        for name, (_, parent) in schema_tables()[stream.name].items():
            if parent is not None:
                assert stream.column(name).references == parent, f"{stream.name}.{name} references {parent}"


def test_raw_types_follow_the_contract() -> None:
    catalog = load_catalog()
    types = {(s.name, c.name): c.bigquery_type for s in catalog.streams for c in s.columns}
    assert types[("products", "tags")] == "JSON"  # text[] arrives as a JSON array
    assert types[("products", "attributes")] == "JSON"
    assert types[("orders", "confirmed_at")] == "DATETIME"  # naive timestamp
    assert types[("orders", "created_at")] == "TIMESTAMP"
    assert types[("orders", "total_amount")] == "NUMERIC"
    assert types[("event_log", "id")] == types[("categories", "level")] == "INT64"
    assert types[("users", "country_code")] == types[("users", "id")] == "STRING"
    assert types[("users", "is_active")] == "BOOL"


def test_sync_modes_follow_the_contract() -> None:
    catalog = load_catalog()
    modes = {s.name: (s.sync_mode, s.cursor_field) for s in catalog.streams}
    for name in ("users", "products", "orders", "reviews"):
        assert modes[name] == ("incremental_deduped_history", "updated_at")
    assert modes["payments"] == ("incremental_append", "created_at")
    assert modes["order_items"] == ("incremental_append", "created_at")
    assert modes["event_log"] == ("incremental_append", "id")
    assert modes["categories"] == modes["seller_tier_history"] == ("full_refresh_overwrite", None)
    assert all(s.primary_key == ("id",) for s in catalog.streams)
    lookbacks = {s.name: s.lookback for s in catalog.streams if s.sync_mode == "incremental_append"}
    assert lookbacks == {"order_items": timedelta(days=7), "payments": timedelta(days=7), "event_log": 10000}
    assert catalog.source_schema == "public"


def test_streams_load_after_the_streams_they_reference() -> None:
    names = load_catalog().names
    for stream in load_catalog().streams:
        for parent in stream.references:
            assert names.index(parent) < names.index(stream.name), f"{stream.name} before {parent}"


def _stream(**over: Any) -> dict[str, Any]:
    """A valid declaration; keyword arguments replace or (value None) remove keys."""
    base: dict[str, Any] = {
        "description": "Order headers.",
        "sync_mode": "incremental_append",
        "primary_key": ["id"],
        "cursor_field": "updated_at",
        "columns": {"id": "uuid", "updated_at": "timestamptz", "n": "int8"},
        "staging": {"key": "order_id"},
    }
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def _refs(*parents: str) -> dict[str, Any]:
    columns: dict[str, Any] = {"id": "uuid", "updated_at": "timestamptz"}
    columns.update({f"{p}_id": {"type": "uuid", "references": p} for p in parents})
    return _stream(columns=columns)


def test_load_order_is_topological_with_ties_by_name() -> None:
    # zeta and alpha reference nothing; beta needs zeta; gamma needs beta and alpha; self-references are fine
    declarations = {"gamma": _refs("beta", "alpha", "gamma"), "beta": _refs("zeta"), "zeta": _refs(), "alpha": _refs()}
    assert parse_catalog(declarations).names == ["alpha", "zeta", "beta", "gamma"]


def test_a_reference_cycle_names_the_streams() -> None:
    declarations = {"a": _refs("b"), "b": _refs("c"), "c": _refs("a"), "d": _refs()}
    with pytest.raises(ConfigError, match=r"the streams a, b, c reference each other in a cycle") as err:
        parse_catalog(declarations)
    assert "\n" not in str(err.value)


def _rule(**over: Any) -> dict[str, Any]:
    return {"reason": "n_negative", "words": "n < 0", "when": "n < 0", **over}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_stream(sync_mode="incremental"), "sync_mode 'incremental' is not one of"),
        (_stream(cursor_field=None), "needs a cursor_field, e.g. updated_at"),
        (_stream(cursor_field="changed_at"), "cursor_field 'changed_at' is not among the columns"),
        (_stream(sync_mode="full_refresh_overwrite"), "remove cursor_field"),
        (_stream(primary_key=[]), "primary_key must list"),
        (_stream(primary_key=["order_id"]), "primary_key column 'order_id' is not among the columns"),
        (_stream(lookback="3 weeks"), "is not like"),
        (_stream(lookback=100), "give lookback as a duration"),
        (_stream(cursor_field="n", lookback="1 day"), "give lookback as a count"),
        (_stream(sync_mode="full_refresh_overwrite", cursor_field=None, lookback="1 day"), "incremental streams only"),
        (_stream(columns={"id": "uuid", "updated_at": "datetime"}), "unknown type 'datetime'; use a PostgreSQL udt"),
        (
            _stream(columns={"id": "uuid", "updated_at": "timestamptz", "x": {"type": "uuid", "references": "nope"}}),
            "references unknown stream 'nope'",
        ),
        (_stream(columns={}), "columns must map every source column"),
        (_stream(description=None), "needs a one-line `description`"),
        (_stream(staging={}), "staging.key None is not a lower-case identifier"),
        (_stream(staging={"key": "order_id", "matches_source": {"tolerance": 1}}), "unknown key(s) tolerance"),
        (_stream(staging={"key": "order_id", "matches_source": {"tolerance_pct": "x"}}), "tolerance_pct must be"),
        (_stream(primary_keys=["id"]), "unknown key(s) primary_keys"),
        (_stream(audit={"rules": [_rule(when="id not in (select id from {nope})")]}), "reads unknown stream {nope}"),
        (_stream(audit={"rules": [_rule(), _rule()]}), "reason 'n_negative' appears twice"),
        (_stream(audit={"rules": [_rule(words="n isn't positive")]}), "without single quotes"),
        (_stream(audit={"rules": [_rule(when="")]}), "needs `when`"),
        (_stream(audit={"rules": [{"reason": "x", "words": "x", "when": "x", "why": "y"}]}), "unknown key"),
        (_stream(deletes="soft"), "deletes 'soft' is not none or hard"),
        (
            _stream(sync_mode="full_refresh_overwrite", cursor_field=None, deletes="hard"),
            "re-reads the table, deleted rows included: remove deletes",
        ),
        (
            _stream(primary_key=["updated_at"], deletes="hard"),
            "key column updated_at is timestamptz, use a key of type",
        ),
        (_stream(audit={"where": ["x"]}), "audit.where must be BigQuery SQL"),
    ],
)
def test_bad_entries_are_one_line_naming_the_file(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        parse_catalog({"orders": entry})
    assert str(err.value).startswith("airbyte/streams/orders.yml: ")
    assert "\n" not in str(err.value)


def test_bad_stream_file_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="not a lower-case identifier; rename the file"):
        parse_catalog({"Orders": _stream()})


def test_defaults_for_staging_and_audit() -> None:
    (stream,) = parse_catalog({"orders": _stream(audit={"rules": [_rule()]})}).streams
    assert (stream.staging_model, stream.staging_key) == ("stg_marketplace__orders", "order_id")
    assert (stream.audit_model, stream.audit_key) == ("stg_marketplace__orders", "order_id")
    payments = load_catalog().stream("payments")
    assert (
        payments.audit_model == "base_marketplace__payments" and payments.staging_model == "stg_marketplace__payments"
    )
    assert dict(payments.staging_matches_source) == {"distinct": "event_id"}
    assert load_catalog().stream("event_log").audit_key == "cast(event_id as string)"


def test_hard_deletes_are_declared_per_stream() -> None:
    (plain,) = parse_catalog({"orders": _stream()}).streams
    (deleting,) = parse_catalog({"orders": _stream(deletes="hard", audit={"where": " n  is null "})}).streams
    assert (plain.deletes, plain.captures_deletes, plain.audit_where) == ("none", False, "")
    assert (deleting.deletes, deleting.captures_deletes, deleting.audit_where) == ("hard", True, "n is null")
    catalog = load_catalog()
    assert [s.name for s in catalog.streams if s.captures_deletes] == ["payments", "reviews"]


def test_audit_rules_name_other_streams_as_ctes() -> None:
    rule = next(r for r in load_catalog().stream("event_log").audit_rules if r.reason == "entity_not_found")
    assert rule.reads == ("orders", "products", "users")
    assert "{" not in rule.sql and "select order_id from orders)" in rule.sql


def test_load_catalog_reads_one_file_per_stream(tmp_path: Path) -> None:
    (tmp_path / "_catalog.yml").write_text("source_schema: shop\n")
    (tmp_path / "orders.yml").write_text(yaml.safe_dump(_stream()))
    (tmp_path / "users.yml").write_text(yaml.safe_dump(_stream(staging={"key": "user_id"})))
    catalog = load_catalog(tmp_path)
    assert (catalog.source_schema, catalog.names) == ("shop", ["orders", "users"])
    (tmp_path / "bad.yml").write_text("sync_mode: [\n")
    load_catalog.cache_clear()
    with pytest.raises(ConfigError, match=r"bad.yml is not valid YAML at line \d+; fix the syntax"):
        load_catalog(tmp_path)
    with pytest.raises(ConfigError, match="is missing; restore it"):
        load_catalog(tmp_path / "nope")
    load_catalog.cache_clear()


def test_select_keeps_catalog_order_and_refuses_unknown_streams() -> None:
    with pytest.raises(ConfigError, match="unknown stream 'order'"):
        load_catalog().select(["order"])
    assert [s.name for s in load_catalog().select(["payments", "orders", "payments"])] == ["orders", "payments"]


def test_generated_dbt_macro_is_current() -> None:
    committed = (PROJECT_ROOT / "dbt" / DBT_MACRO_RELPATH).read_text()
    assert committed.startswith(DBT_MACRO_HEADER + "\n")
    assert committed == render_dbt_macro(load_catalog()), (
        "dbt/macros/generated/marketplace_streams.sql is stale: run marketplace-elt catalog render"
    )


def _macro_value(catalog: Catalog) -> Any:
    """What the generated marketplace_streams() macro returns, rendered by Jinja as dbt would."""
    returned: list[Any] = []

    def capture(value: Any) -> str:
        returned.append(value)
        return ""

    env = jinja2.Environment(extensions=["jinja2.ext.do"])
    env.globals["return"] = capture
    env.from_string(render_dbt_macro(catalog) + "{{ marketplace_streams() }}").render()
    (streams,) = returned
    return streams


def test_generated_macro_returns_the_catalog_exactly() -> None:
    assert _macro_value(load_catalog()) == dbt_streams(load_catalog())


def test_quotes_and_backslashes_survive_the_macro() -> None:
    when = r"not regexp_contains(tracking, r'^[A-Z0-9\s]+$') and note != '\\'"
    catalog = parse_catalog({"orders": _stream(audit={"rules": [_rule(when=when)]})})
    (orders,) = _macro_value(catalog)
    assert orders["rules"][0]["when"] == when


def test_catalog_dir_is_the_one_terraform_and_the_loader_read() -> None:
    assert CATALOG_DIR == PROJECT_ROOT / "airbyte" / "streams"
    assert not (PROJECT_ROOT / "airbyte" / "catalog.json").exists()
