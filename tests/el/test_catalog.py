"""The stream catalog: it covers the source contract, and bad entries fail with one clear line."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from marketplace_elt.el import STREAMS, load_catalog
from marketplace_elt.el.catalog import parse_catalog
from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import PROJECT_ROOT


def test_catalog_covers_every_source_table() -> None:
    schema = (PROJECT_ROOT / "source_db" / "schema.sql").read_text()
    tables = set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", schema))
    assert set(STREAMS) == tables


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


def _stream(**over: Any) -> dict[str, Any]:
    return {
        "name": "orders",
        "sync_mode": "incremental_append",
        "primary_key": ["id"],
        "cursor_field": "updated_at",
        **over,
    }


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (_stream(sync_mode="incremental"), "sync_mode 'incremental' is not one of"),
        (_stream(cursor_field=None), "needs a cursor_field"),
        (_stream(primary_key=[]), "primary_key must list"),
        (_stream(lookback="3 weeks"), "is not like"),
        (_stream(sync_mode="full_refresh_overwrite", lookback="1 day"), "incremental streams only"),
        (_stream(name="Orders; drop"), "not a lower-case identifier"),
    ],
)
def test_bad_entries_are_one_line(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        parse_catalog({"streams": [entry]})
    assert "\n" not in str(err.value)


def test_duplicates_and_unknown_streams_are_refused() -> None:
    with pytest.raises(ConfigError, match="twice"):
        parse_catalog({"streams": [_stream(), _stream()]})
    with pytest.raises(ConfigError, match="unknown stream 'order'"):
        load_catalog().select(["order"])
    assert [s.name for s in load_catalog().select(["payments", "orders", "payments"])] == ["orders", "payments"]
