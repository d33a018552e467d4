"""`bench run` on a real tiny source: the result document's shape and its Markdown rendering.

Never asserts a timing: the numbers depend on the machine; only their presence and form are checked.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from marketplace_bench.report import Target, render_markdown
from marketplace_bench.runner import BenchOptions, run_bench
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
    assert set(targets) == {"el_orders_vs_copy", "dag_parse"}
    for target in targets.values():
        assert isinstance(target["passed"], bool)
        assert target["op"] in (">=", "<", "<=")


def test_markdown_table(tiny_bench: tuple[dict[str, Any], Path]) -> None:
    result, _ = tiny_bench
    text = render_markdown(result)
    lines = text.splitlines()
    header = "| stream | rows | full sync | loader rows/s | binary COPY | COPY rows/s | loader / COPY |"
    assert header in lines
    start = lines.index(header)
    table = lines[start : next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))]
    assert any(line.startswith("| orders |") for line in table)
    assert any(line.startswith("| **all streams** |") for line in table)
    assert all(line.count("|") == 8 for line in table if line.startswith("|"))
    assert "### Targets" in text
    assert "orders full sync speed / binary COPY speed" in text
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
