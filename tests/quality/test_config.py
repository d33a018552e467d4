"""The gate config: the packaged file is valid and complete, and mistakes fail with one clear line."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from marketplace_elt.el.catalog import Catalog, parse_catalog
from marketplace_elt.errors import ConfigError
from marketplace_elt.quality.config import DEFAULT_CONFIG_PATH, describe_check, describe_threshold, load_config


def test_packaged_config_covers_every_layer_and_rule() -> None:
    cfg = load_config()
    assert cfg.path == DEFAULT_CONFIG_PATH
    assert list(cfg.layers) == ["raw", "staging", "intermediate", "marts"]
    kinds = {layer: {c.expect for c in cfg.layer(layer).checks} for layer in cfg.layers}
    assert kinds["raw"] == {"raw_contract", "row_count", "matches_source", "metric"}
    assert kinds["staging"] == {"matches_source"}
    assert kinds["intermediate"] == {"metric"}
    assert kinds["marts"] == {"row_count", "metric"}
    staging = {c.key: c for c in cfg.layer("staging").checks}
    assert staging["stg_marketplace__payments.matches_source"].distinct == "event_id"
    assert staging["stg_marketplace__payments.matches_source"].source_distinct == "event_id"
    assert staging["stg_marketplace__orders.matches_source"].max == 0.5  # layer default tolerance
    assert staging["stg_marketplace__orders.matches_source"].source_table == "orders"
    marts = {c.key: c for c in cfg.layer("marts").checks}
    invalid = marts["mart_audit_daily.invalid_payments_pct"]
    assert invalid.max == 5 and describe_threshold(invalid) == "<= 5"
    money = {c.key: c for c in cfg.layer("raw").checks}["payments.completed_amount_missing_or_negative_pct"]
    assert money.max == 1 and money.min is None


def test_raw_and_staging_checks_come_from_the_catalog() -> None:
    cfg = load_config()
    raw = {c.key: c for c in cfg.layer("raw").checks}
    for stream in ("users", "orders", "payments", "order_items", "products", "reviews", "event_log"):
        assert {f"{stream}.raw_contract", f"{stream}.row_count"} <= set(raw)
        assert f"{stream}.matches_source" not in raw  # incremental: rows written after the sync differ
    for stream in ("categories", "seller_tier_history"):  # full refresh: exactly the source count
        assert raw[f"{stream}.matches_source"].max == 0
    assert ("is_active", "BOOL") in raw["users.raw_contract"].columns
    assert ("tags", "JSON") in raw["products.raw_contract"].columns
    assert raw["users.row_count"].min == 1
    staged = {c.table for c in cfg.layer("staging").checks}
    assert "stg_marketplace__seller_tier_history" in staged and "stg_marketplace__event_log" in staged


def test_dbt_owns_keys_values_references_and_ranges() -> None:
    """One system per concern: no packaged gate repeats what a dbt test asserts."""
    cfg = load_config()
    repeated = [
        c.key
        for layer in cfg.layers.values()
        for c in layer.checks
        if c.expect in ("unique", "not_null", "accepted_values", "references", "between")
    ]
    assert not repeated


def _catalog(**orders: Any) -> Catalog:
    declaration = {
        "description": "Orders.",
        "sync_mode": "full_refresh_overwrite",
        "primary_key": ["id"],
        "columns": {"id": "uuid", "status": "varchar"},
        "staging": {"key": "order_id", **orders},
    }
    return parse_catalog({"orders": declaration})


def test_derived_checks_follow_a_given_catalog(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
layers:
  raw: {dataset: raw, from_catalog: true}
  staging:
    dataset: staging
    from_catalog: true
    defaults: {tolerance_pct: 2}
    tables:
      stg_marketplace__orders: [{expect: row_count}]
""",
    )
    cfg = load_config(path, catalog=_catalog(model="stg_orders_v2", matches_source={"distinct": "status"}))
    assert [(c.table, c.name) for c in cfg.layer("raw").checks] == [
        ("orders", "raw_contract"),
        ("orders", "row_count"),
        ("orders", "matches_source"),
    ]
    assert cfg.layer("raw").checks[0].columns == (("id", "STRING"), ("status", "STRING"))
    recon, own = cfg.layer("staging").checks
    assert (recon.table, recon.source_table, recon.distinct, recon.max) == ("stg_orders_v2", "orders", "status", 2.0)
    assert (own.table, own.expect) == ("stg_marketplace__orders", "row_count")
    tolerant = load_config(path, catalog=_catalog(matches_source={"tolerance_pct": 0.1}))
    assert tolerant.layer("staging").checks[0].max == 0.1


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gates.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("layers: {silver: {dataset: raw, tables: {}}}", "unknown layer"),
        ("layers: {raw: {dataset: lake, tables: {}}}", "`dataset` must be one of"),
        ("layers: {raw: {dataset: raw, tables: {t: [{expect: unique}]}}}", "`unique` needs column"),
        ("layers: {raw: {dataset: raw, tables: {t: [{expect: shiny}]}}}", "unknown expect 'shiny'"),
        ("layers: {raw: {dataset: raw, tables: {t: [{expect: row_count, mx: 3}]}}}", "does not take mx"),
        ("layers: {raw: {dataset: raw, tables: {t: [{expect: row_count, min: lots}]}}}", "`min` must be a number"),
        ("layers: {raw: {dataset: raw, tables: {t: [{expect: metric, name: m, sql: 'COUNT(*)'}]}}}", "needs a `min`"),
        ("layers: {raw: {dataset: raw, tables: {t: [{expect: row_count}, {expect: row_count}]}}}", "duplicate check"),
        ("layers: {marts: {dataset: marts, tables: {t: [{expect: references, column: a, to: x}]}}}", "dataset.table"),
        ("layers: [\n", "not valid YAML"),
        ("tables: {}", "`layers:` section"),
        ("layers: {marts: {dataset: marts, from_catalog: true}}", "applies to the raw and staging layers only"),
        ("layers: {raw: {dataset: raw, from_catalog: yes please}}", "`from_catalog` must be true or false"),
        ("layers: {raw: {dataset: raw, tabels: {}}}", "unknown key(s) tabels"),
    ],
)
def test_config_mistakes_are_reported_in_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)) as err:
        load_config(_write(tmp_path, body))
    assert "\n" not in str(err.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yml")


def test_defaults_and_descriptions(tmp_path: Path) -> None:
    cfg = load_config(
        _write(
            tmp_path,
            """
layers:
  staging:
    dataset: staging
    defaults: {tolerance_pct: 2}
    tables:
      stg_x:
        - {expect: unique, column: id}
        - {expect: accepted_values, column: status, values: [a, b]}
        - {expect: matches_source, source_table: x, distinct: event_id}
        - {expect: row_count}
""",
        )
    )
    unique, accepted, recon, count = cfg.layer("staging").checks
    assert (unique.name, unique.min, unique.max) == ("unique:id", None, 0.0)
    assert describe_check(accepted) == "rows whose status is not one of a, b"
    assert (recon.max, recon.source_distinct) == (2.0, "event_id")
    assert describe_threshold(recon) == "<= 2 %"
    assert (count.min, count.max) == (1.0, None)
