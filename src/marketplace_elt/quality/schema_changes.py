"""Source schema drift, in plain words: what the `source_schema_changes` dbt test found in raw.

Extract-load records a column added, dropped or widened at the source in `_airbyte_meta.changes`
(reason SOURCE_SCHEMA_CHANGE). The dbt test (severity warn) returns one row per changed column;
this module runs it and turns its rows into log lines, so drift shows in the raw gate's task log
without stopping the pipeline.
"""

from __future__ import annotations

import json
import re
from typing import Any

from marketplace_elt.bigquery import query_rows
from marketplace_elt.settings import Settings
from marketplace_elt.transform import run_dbt

TEST_NAME = "source_schema_changes"


def describe(table: str, row: dict[str, Any]) -> str:
    """One changed column as a sentence an on-call engineer can act on."""
    what = {
        "ADDED": "was added at the source",
        "NULLED": "was dropped at the source (NULL from now on)",
        "WIDENED": "changed type at the source (a widening: raw column altered in place)",
    }
    change = str(row.get("change"))
    return (
        f"{table}.{row.get('column_name')} {what.get(change, change)}: "
        f"{row.get('rows_recorded')} raw rows record it, last loaded {row.get('last_seen_at')}"
    )


def schema_changes(settings: Settings) -> list[str]:
    """Run the drift tests on every raw table; one line per changed column (empty: no drift)."""
    run_dbt(settings, ["test", "--quiet", "--select", f"test_name:{TEST_NAME}"], check=False)
    path = settings.dbt_target_dir / "run_results.json"
    try:
        results: list[dict[str, Any]] = json.loads(path.read_text()).get("results", [])
    except (OSError, ValueError):
        return [f"the schema drift test left no readable result at {path}; run `dbt test -s test_name:{TEST_NAME}`"]
    lines = []
    for result in results:
        if result.get("status") == "pass" or not result.get("compiled_code"):
            if result.get("status") == "error":
                lines.append(f"the schema drift test {result.get('unique_id')} errored: {result.get('message')}")
            continue
        # unique_id: test.<project>.source_source_schema_changes_<source>_<table>_.<hash>
        name = str(result["unique_id"]).split(".")[2]
        match = re.search(rf"{TEST_NAME}_marketplace_([a-z0-9_]+?)_*$", name)
        table = match.group(1) if match else name
        lines += [describe(table, row) for row in query_rows(settings, str(result["compiled_code"]))]
    return lines
