"""The gate config: the packaged file is valid and complete, and mistakes fail with one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace_elt.errors import ConfigError
from marketplace_elt.quality.config import DEFAULT_CONFIG_PATH, describe_check, describe_threshold, load_config


def test_packaged_config_covers_every_layer_and_rule() -> None:
    cfg = load_config()
    assert cfg.path == DEFAULT_CONFIG_PATH
    assert list(cfg.layers) == ["raw", "staging", "intermediate", "marts"]
    kinds = {layer: {c.expect for c in cfg.layer(layer).checks} for layer in cfg.layers}
    assert {"raw_contract", "row_count", "matches_source"} <= kinds["raw"]
    assert {"unique", "not_null", "accepted_values", "matches_source"} <= kinds["staging"]
    assert {"unique", "metric"} <= kinds["intermediate"]
    assert {"between", "references", "metric"} <= kinds["marts"]
    staging = {c.key: c for c in cfg.layer("staging").checks}
    assert staging["stg_marketplace__payments.matches_source"].distinct == "event_id"
    assert staging["stg_marketplace__orders.matches_source"].max == 0.5  # layer default tolerance
    marts = {c.key: c for c in cfg.layer("marts").checks}
    invalid = marts["mart_audit_daily.invalid_payments_pct"]
    assert invalid.max == 5 and describe_threshold(invalid) == "<= 5"
    assert marts["mart_audit_daily.between:error_rate"].range == (0.0, 1.0)


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
    ],
)
def test_config_mistakes_are_reported_in_one_line(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
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
