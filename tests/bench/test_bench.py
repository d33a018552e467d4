"""`bench run` on a real tiny source: the result document's shape and its Markdown rendering;
the arithmetic of ceilings, peer and targets on hand-given numbers.

Never asserts a timing: the numbers depend on the machine; only their presence, their form and
their consistency with one another are checked.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from marketplace_bench import figures
from marketplace_bench.disk import directory_bytes
from marketplace_bench.report import Target, render_markdown
from marketplace_bench.runner import BenchOptions, run_bench, workspace_lock
from marketplace_elt.errors import UserError
from marketplace_elt.settings import Settings


@pytest.fixture(scope="module")
def tiny_bench(services: Settings, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    options = BenchOptions(
        scale=0.02,
        seed=3,
        phases=("el", "parse"),
        parse_runs=1,
        copy_repeats=1,
        results_dir=tmp_path_factory.mktemp("bench-results"),
    )
    before = {k: os.environ.get(k) for k in ("SOURCE_DB_URL", "BQ_RAW_DATASET")}
    result, path = run_bench(services, options)
    assert {k: os.environ.get(k) for k in before} == before, "the bench leaked its workspace into the environment"
    return result, path


def test_result_file_is_the_returned_document(tiny_bench: tuple[dict[str, Any], Path]) -> None:
    result, path = tiny_bench
    assert path.name.endswith("Z.json")
    assert json.loads(path.read_text()) == json.loads(json.dumps(result, default=str))
    assert result["errors"] == {}, result["errors"]


def test_result_shape(tiny_bench: tuple[dict[str, Any], Path]) -> None:
    result, _ = tiny_bench
    assert result["schema_version"] == 1
    assert result["scale"] == 0.02
    machine = result["machine"]
    assert machine["cores"] >= 1 and machine["ram_gib"] > 0 and machine["cpu_model"]
    streams = {row["stream"]: row for row in result["el"]["streams"]}
    assert set(streams) >= {"orders", "payments", "event_log", "categories"}
    for row in streams.values():
        assert row["rows"] == row["copy_rows"] > 0
        assert row["seconds"] > 0 and row["copy_seconds"] > 0
        assert row["ratio_to_copy"] == pytest.approx(
            row["rows_per_s"] / row["copy_rows_per_s"], rel=0.02
        )  # rows/s are rounded to 0.1
    assert result["source_rows"]["orders"] == streams["orders"]["rows"]
    parse = result["parse"]
    assert parse["runs"] == 1 and len(parse["samples_s"]) == 1 and parse["tasks"] > 10
    # The DAG processor's modules already loaded spare the parse their import: it must be faster
    # than the same file opened in a bare interpreter.
    assert 0 < parse["median_s"] < parse["cold_median_s"]
    targets = {t["name"]: t for t in result["targets"]}
    assert set(targets) == {"el_orders_vs_copy", "el_orders_vs_ceiling", "dag_parse"}
    for target in targets.values():
        assert isinstance(target["passed"], bool)
        assert target["op"] in (">=", "<", "<=")


def _check_ceilings(row: dict[str, Any]) -> None:
    """Both ceilings measured on the stream's own rows, and every ratio from the reported speeds."""
    assert row["ceiling_load_rows"] == row["copy_rows"] == row["rows"] > 0
    assert row["ceiling_load_seconds"] > 0 and row["ceiling_parquet_bytes"] > 0
    assert row["ceiling_load_rows_per_s"] == pytest.approx(row["rows"] / row["ceiling_load_seconds"], rel=0.02)
    loader, copy, load = row["rows_per_s"], row["copy_rows_per_s"], row["ceiling_load_rows_per_s"]
    assert row["ratio_to_copy"] == pytest.approx(loader / copy, rel=0.02)  # rows/s are rounded to 0.1
    assert row["ratio_to_load_ceiling"] == pytest.approx(loader / load, rel=0.02)
    assert row["ratio_to_ceiling"] == pytest.approx(loader / min(copy, load), rel=0.02)
    assert row["path_ceiling"] == ("copy" if copy <= load else "load")
    assert row["ceiling_rows_per_s"] == min(copy, load)


def _check_total(total: dict[str, Any], streams: dict[str, dict[str, Any]]) -> None:
    """The whole sync() call includes its setup: wall >= the streams' own durations."""
    assert total["rows"] == sum(s["rows"] for s in streams.values())
    assert total["streams_seconds"] == pytest.approx(sum(s["seconds"] for s in streams.values()), abs=0.01)
    assert total["wall_seconds"] >= total["streams_seconds"] > 0
    assert total["setup_seconds"] == pytest.approx(total["wall_seconds"] - total["streams_seconds"], abs=0.002)
    assert total["seconds"] == total["wall_seconds"]
    assert total["rows_per_s"] == pytest.approx(total["rows"] / total["wall_seconds"], rel=0.01)
    lower = min(total["copy_rows_per_s"], total["ceiling_load_rows_per_s"])
    assert total["ratio_to_ceiling"] == pytest.approx(total["rows_per_s"] / lower, rel=0.02)


def test_el_ceilings_resync_and_wall_time(tiny_bench: tuple[dict[str, Any], Path]) -> None:
    result, _ = tiny_bench
    el = result["el"]
    first = {row["stream"]: row for row in el["streams"]}
    resync = {row["stream"]: row for row in el["resync"]["streams"]}
    assert set(resync) == set(first)
    for name in first:
        _check_ceilings(first[name])
        _check_ceilings(resync[name])
        assert resync[name]["rows"] == result["source_rows"][name]
        assert resync[name]["sync_mode"] == "full_refresh_overwrite"
        # the same table, so the same baselines
        assert resync[name]["copy_seconds"] == first[name]["copy_seconds"]
        assert resync[name]["ceiling_load_seconds"] == first[name]["ceiling_load_seconds"]
    _check_total(el["total"], first)
    _check_total(el["resync"]["total"], resync)
    # the test services run the emulator locally, so its data directory is measured
    assert el["emulator_data_dir"] and Path(el["emulator_data_dir"]).is_dir()
    assert isinstance(el["disk_growth_bytes"], int) and isinstance(el["resync"]["disk_growth_bytes"], int)
    orders = first["orders"]
    target = next(t for t in result["targets"] if t["name"] == "el_orders_vs_ceiling")
    assert target["value"] == orders["ratio_to_ceiling"]
    assert target["passed"] == (orders["ratio_to_ceiling"] >= 0.9)


def test_markdown_table(tiny_bench: tuple[dict[str, Any], Path]) -> None:
    result, _ = tiny_bench
    text = render_markdown(result)
    lines = text.splitlines()
    header = (
        "| stream | rows | sync | loader rows/s | binary COPY | COPY rows/s | bare load | load rows/s "
        "| loader / COPY | loader / load | loader / ceiling |"
    )
    assert lines.count(header) == 2  # the first full sync and the re-sync
    for start in (i for i, line in enumerate(lines) if line == header):
        end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
        table = lines[start:end]
        assert any(line.startswith("| orders |") for line in table)
        assert any(line.startswith("| **all streams** (wall) |") for line in table)
        assert all(line.count("|") == 12 for line in table)
        assert lines[end + 1].startswith("Whole `sync()` call: ")
    assert "### Extract-load: re-sync (a second full sync into the existing raw tables)" in text
    assert "### Targets" in text
    assert "orders full sync speed / binary COPY speed" in text
    assert "orders full sync speed / its path ceiling (lower of binary COPY and bare load job)" in text
    assert "| emulator data directory growth: re-sync into the existing raw tables |" in text
    assert "Machine: " in text


def test_unmeasured_figures_say_why() -> None:
    doc = {
        "scale": 1.0,
        "seed": 1,
        "started_at": "2026-01-01T00:00:00+00:00",
        "machine": {"cores": 2},
        "peer": {"available": False, "reason": "could not install dlt into its own venv: offline"},
        "targets": [Target("x", "incremental EL time / full sync time", None, "<", 0.05, "x").as_dict()],
        "errors": {"incremental": "UserError: no simulation state"},
    }
    text = render_markdown(doc)
    assert (
        "| orders through dlt defaults | unavailable | could not install dlt into its own venv: offline | — |" in text
    )
    assert "| incremental EL time / full sync time | — | < 0.05x | n/a |" in text
    assert "- incremental: UserError: no simulation state" in text


def _peer_doc() -> dict[str, Any]:
    configurations: dict[str, dict[str, Any]] = {
        "defaults": {"available": True, "rows": 1000, "seconds": 2.0, "rows_per_s": 500.0, "ratio_to_copy": 0.001},
        "pyarrow": {"available": True, "rows": 1000, "seconds": 0.1, "rows_per_s": 10000.0, "ratio_to_copy": 0.02},
        "connectorx": {"available": False, "reason": "`connectorx` does not install from PyPI into the dlt venv: x"},
    }
    return {"configurations": configurations, **figures.peer_summary(configurations, 20000.0)}


def test_ceiling_is_the_lower_of_copy_and_load() -> None:
    # bare load slower than COPY: the load job is the ceiling
    got = figures.ceiling_figures(100.0, 400.0, 200.0)
    assert got == {
        "ratio_to_copy": 0.25,
        "ratio_to_load_ceiling": 0.5,
        "path_ceiling": "load",
        "ceiling_rows_per_s": 200.0,
        "ratio_to_ceiling": 0.5,
    }
    # COPY slower than the load job: COPY is the ceiling
    got = figures.ceiling_figures(90.0, 100.0, 1000.0)
    assert got["path_ceiling"] == "copy" and got["ratio_to_ceiling"] == 0.9
    # a ceiling not measured is left out; none at all gives no ratio
    assert figures.ceiling_figures(50.0, 100.0, None)["ratio_to_ceiling"] == 0.5
    assert figures.ceiling_figures(50.0, None, None)["ratio_to_ceiling"] is None


def test_stream_and_total_rows_from_raw_numbers() -> None:
    copy = {"rows": 1000, "seconds": 0.01, "bytes": 5000}
    load = {"rows": 1000, "seconds": 0.1, "parquet_bytes": 800, "extract_seconds": 0.02}
    a = figures.stream_row("orders", "full_refresh_overwrite", 1000, 0.2, copy, load)
    assert (a["rows_per_s"], a["copy_rows_per_s"], a["ceiling_load_rows_per_s"]) == (5000.0, 100000.0, 10000.0)
    assert (a["ratio_to_copy"], a["ratio_to_load_ceiling"], a["ratio_to_ceiling"]) == (0.05, 0.5, 0.5)
    b = figures.stream_row("users", "full_refresh_overwrite", 3000, 0.8, copy | {"rows": 3000}, None)
    assert b["ceiling_load_seconds"] is None and b["path_ceiling"] == "copy"
    total = figures.total_row([a, figures.stream_row("users", "x", 3000, 0.8, copy, load)], wall_seconds=1.25)
    assert total["streams_seconds"] == 1.0 and total["setup_seconds"] == 0.25 and total["seconds"] == 1.25
    assert total["rows_per_s"] == 3200.0 and total["streams_rows_per_s"] == 4000.0
    assert total["copy_rows_per_s"] == 200000.0 and total["ceiling_load_rows_per_s"] == 20000.0
    assert total["ratio_to_ceiling"] == 0.16
    # a stream without a bare-load figure leaves the total's load ceiling unmeasured
    assert figures.total_row([a, b], wall_seconds=None)["ceiling_load_rows_per_s"] is None
    assert figures.disk_growth(100, 350) == 250 and figures.disk_growth(None, 5) is None


@pytest.mark.parametrize(("ratio", "passed"), [(0.95, True), (0.9, True), (0.85, False), (None, None)], ids=str)
def test_el_ceiling_target(ratio: float | None, passed: bool | None) -> None:
    el = {"streams": [{"stream": "orders", "ratio_to_copy": 0.2, "ratio_to_ceiling": ratio, "path_ceiling": "load"}]}
    targets = {t.name: t for t in figures.el_targets(el)}
    assert targets["el_orders_vs_ceiling"].passed is passed
    assert targets["el_orders_vs_ceiling"].threshold == 0.9 and targets["el_orders_vs_ceiling"].op == ">="
    assert targets["el_orders_vs_copy"].passed is False


def test_incremental_targets() -> None:
    targets = {t.name: t for t in figures.incremental_targets({"el_ratio": 0.1, "dbt_ratio": 0.2})}
    assert set(targets) == {"incremental_el_vs_full", "incremental_el_vs_full_sync", "incremental_dbt_vs_full"}
    assert targets["incremental_el_vs_full"].passed is False  # < 0.05
    assert targets["incremental_el_vs_full_sync"].passed is True  # <= 0.1
    assert targets["incremental_dbt_vs_full"].passed is True  # <= 0.2
    targets = {t.name: t for t in figures.incremental_targets({"el_ratio": 0.04, "dbt_ratio": 1.62})}
    assert targets["incremental_el_vs_full"].passed is True and targets["incremental_dbt_vs_full"].passed is False
    assert all(t.passed is None for t in figures.incremental_targets({}))


def test_peer_fastest_configuration() -> None:
    doc = _peer_doc()
    assert doc["fastest"] == "pyarrow" and doc["fastest_rows_per_s"] == 10000.0
    assert doc["loader_vs_peer"] == 2.0 and doc["available"] is True
    nothing = figures.peer_summary({"defaults": {"available": False, "reason": "offline"}}, 20000.0)
    assert nothing == {
        "available": False,
        "fastest": None,
        "fastest_rows_per_s": None,
        "loader_rows_per_s": 20000.0,
        "loader_vs_peer": None,
    }


def test_peer_configurations_in_markdown() -> None:
    doc = {"scale": 1.0, "seed": 1, "started_at": "t", "machine": {}, "peer": {"version": "1.31.0", **_peer_doc()}}
    text = render_markdown(doc)
    assert "| orders through dlt 1.31.0 pyarrow (sql_database/pyarrow -> duckdb) | 10,000 rows/s |" in text
    assert "| orders through dlt connectorx | unavailable | `connectorx` does not install" in text
    assert "| embedded loader vs dlt's fastest configuration (pyarrow), orders | 20,000 rows/s |" in text


def test_a_second_run_on_the_same_workspace_refuses(settings: Any, tmp_path: Path) -> None:
    base = dataclasses.replace(settings, home=tmp_path)
    with workspace_lock(base, "bench"):
        refused = pytest.raises(UserError, match=r"bench workspace 'bench' is in use .*pass --workspace")
        with refused, workspace_lock(base, "bench"):
            pass
        with workspace_lock(base, "bench2"):  # another name is another workspace
            pass
    with workspace_lock(base, "bench"):  # released
        pass


def test_directory_bytes(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 10)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 5)
    (tmp_path / "link").symlink_to(tmp_path / "a")
    assert directory_bytes(tmp_path) == 15
    assert directory_bytes(tmp_path / "missing") == 0
