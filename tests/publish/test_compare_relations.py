"""The `compare_datasets` macro (dbt/macros/compare_relations.sql) on hand-made tables.

It must count every row that the two sides do not hold the same number of times (duplicates
included, arrays compared by value), honour per-model column exclusions, and fail the command
when anything differs or a table is missing.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from marketplace_elt.bigquery import client
from marketplace_elt.settings import Settings
from marketplace_elt.transform.dbt import dbt_env
from tests.dbt.conftest import DBT_DIR, dbt_executable
from tests.isolation import create, drop, isolated_settings

SCHEMA = (("id", "INT64"), ("label", "STRING"), ("amount", "NUMERIC"), ("tags", "STRING", "REPEATED"))


@pytest.fixture(scope="module")
def datasets(services: Settings) -> Iterator[Settings]:
    isolated = isolated_settings(services, "compare", prefix="test", all_datasets=True)
    create(services, isolated)
    yield isolated
    drop(services, isolated)


def _table(settings: Settings, dataset: str, name: str, rows: list[dict[str, Any]]) -> None:
    from google.cloud import bigquery

    bq = client(settings)
    fields = [bigquery.SchemaField(f[0], f[1], mode=f[2] if len(f) > 2 else "NULLABLE") for f in SCHEMA]
    table_id = f"{settings.bq_project}.{dataset}.{name}"
    bq.delete_table(table_id, not_found_ok=True)
    bq.create_table(bigquery.Table(table_id, schema=fields))
    payload = "".join(json.dumps(r) + "\n" for r in rows).encode()
    bq.load_table_from_file(
        io.BytesIO(payload),
        table_id,
        job_config=bigquery.LoadJobConfig(source_format=bigquery.SourceFormat.NEWLINE_DELIMITED_JSON, schema=fields),
    ).result()


def _compare(settings: Settings, models: list[str], exclude: dict[str, list[str]] | None = None) -> tuple[int, str]:
    args = {"a": settings.marts_audit_dataset, "b": settings.marts_shadow_dataset, "models": models}
    if exclude:
        args["exclude"] = exclude
    out = subprocess.run(
        [dbt_executable(), "run-operation", "compare_datasets", "--args", json.dumps(args)],
        cwd=DBT_DIR,
        env={**os.environ, **dbt_env(settings)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    return out.returncode, out.stdout + out.stderr


ROW_1 = {"id": 1, "label": "x", "amount": "1.10", "tags": ["a", "b"]}
ROW_2 = {"id": 2, "label": "y", "amount": "2.00", "tags": []}


def test_identical_tables_pass_and_every_difference_is_counted(datasets: Settings) -> None:
    a, b = datasets.marts_audit_dataset, datasets.marts_shadow_dataset
    _table(datasets, a, "same", [ROW_1, ROW_2])
    _table(datasets, b, "same", [ROW_2, ROW_1])  # order does not matter
    # a holds ROW_1 twice (b once); b has a third row; ROW_2 differs only in its array's order
    _table(datasets, a, "diff", [ROW_1, ROW_1, ROW_2])
    _table(datasets, b, "diff", [ROW_1, {**ROW_2, "tags": ["z"]}, {"id": 3, "label": "z", "amount": "0", "tags": []}])

    code, out = _compare(datasets, ["same"])
    assert code == 0, out
    assert f"compare same: 0 differing rows (only in {a}: 0, only in {b}: 0)" in out

    code, out = _compare(datasets, ["same", "diff"])
    assert code != 0
    # differing row values: ROW_1 (2 vs 1), ROW_2 (1 vs 0), ROW_2 with tags [z] (0 vs 1), id 3 (0 vs 1);
    # unmatched rows: one ROW_1 and ROW_2 in a, ROW_2 [z] and id 3 in b
    assert f"compare diff: 4 differing rows (only in {a}: 2, only in {b}: 2)" in out
    assert "relations differ: diff" in out


def test_excluded_columns_are_not_compared(datasets: Settings) -> None:
    a, b = datasets.marts_audit_dataset, datasets.marts_shadow_dataset
    _table(datasets, a, "loaded", [ROW_1])
    _table(datasets, b, "loaded", [{**ROW_1, "label": "changed"}])
    code, out = _compare(datasets, ["loaded"])
    assert code != 0
    assert f"compare loaded: 2 differing rows (only in {a}: 1, only in {b}: 1)" in out
    code, out = _compare(datasets, ["loaded"], exclude={"loaded": ["LABEL"]})
    assert code == 0, out


def test_a_missing_table_fails(datasets: Settings) -> None:
    _table(datasets, datasets.marts_audit_dataset, "only_in_a", [ROW_1])
    code, out = _compare(datasets, ["only_in_a"])
    assert code != 0
    assert f"compare only_in_a: MISSING in {datasets.marts_shadow_dataset}" in out
