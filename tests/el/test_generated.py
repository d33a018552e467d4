"""Extract-load on the generator's data: full sync, no-op rerun, and a sync after `source advance`."""

from __future__ import annotations

import psycopg
import pytest

from marketplace_elt.bigquery import query_rows
from marketplace_elt.el import load_catalog, sync
from marketplace_elt.settings import Settings
from tests.el.checks import mismatches

SCALE = 0.2


@pytest.fixture(scope="module")
def seeded(el_settings: Settings) -> Settings:
    from marketplace_sim import seed

    seed(el_settings, SCALE, seed=1, reset=True)
    return el_settings


def raw_count(settings: Settings, table: str) -> int:
    return int(
        query_rows(settings, f"SELECT COUNT(*) AS n FROM `{settings.bq_project}.{settings.raw_dataset}.{table}`")[0][
            "n"
        ]
    )


def test_full_sync_matches_the_source(seeded: Settings, owner: psycopg.Connection) -> None:
    from marketplace_sim import table_counts

    results = {r.stream: r for r in sync(seeded)}
    counts = table_counts(seeded)
    for stream in load_catalog().streams:
        assert results[stream.name].rows_written == counts[stream.name], stream.name
        assert raw_count(seeded, stream.name) == counts[stream.name], stream.name
    assert mismatches(seeded, owner) == {}


def test_second_sync_without_changes_writes_nothing(seeded: Settings, owner: psycopg.Connection) -> None:
    from marketplace_sim import table_counts

    results = {r.stream: r for r in sync(seeded)}
    counts = table_counts(seeded)
    for stream in load_catalog().streams:
        if stream.incremental:
            assert results[stream.name].rows_written == 0, stream.name
        assert raw_count(seeded, stream.name) == counts[stream.name], stream.name  # full refresh: same rows


@pytest.mark.parametrize("days", [1, 4])
def test_after_advance_raw_holds_the_latest_version_once(
    seeded: Settings, owner: psycopg.Connection, days: int
) -> None:
    """Updated rows replace their raw version; late-arriving orders (placed up to 5 days before they
    are inserted, with items and payments stamped in the past) are caught by the look-back window."""
    from marketplace_sim import advance

    before = {r[0]: r[1] for r in owner.execute("SELECT id::text, updated_at FROM orders").fetchall()}
    report = advance(seeded, days=days)
    after = {r[0]: r[1] for r in owner.execute("SELECT id::text, updated_at FROM orders").fetchall()}
    changed = [k for k, v in after.items() if before.get(k) != v]
    assert changed, "advance changed no order; the test would prove nothing"
    results = {r.stream: r for r in sync(seeded)}
    assert results["orders"].rows_written >= len(changed)
    assert mismatches(seeded, owner) == {}
    if days > 1:
        assert report.changes.get("orders.late_arriving", 0) > 0, report.changes


def test_streams_synced_at_once_like_the_dag_tasks(seeded: Settings, owner: psycopg.Connection) -> None:
    """The DAG runs one `sync(settings, [stream])` per stream at the same time; they must not collide."""
    from concurrent.futures import ThreadPoolExecutor

    from marketplace_sim import advance

    advance(seeded, days=1)
    streams = load_catalog().names
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda s: sync(seeded, [s])[0], streams))
    assert [r.stream for r in results] == streams and all(r.succeeded for r in results)
    assert mismatches(seeded, owner) == {}
