"""The dbt project against the BigQuery emulator, on the generated marketplace (session services).

These start from the session's pipeline run (the DAG already synced and built everything through
Cosmos), then: a plain `dbt build` on top of it (all but the run ledger, which `publish_marts`
writes) is green (warnings only for the faults the source deliberately contains) and changes no
table (staging, the marts build in `<marts>__audit`, the published marts), and `dbt docs generate`
(through the project's catalog override) describes every model with exactly the columns its yml
documents.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from marketplace_elt.bigquery import client
from marketplace_elt.settings import Settings

# Columns that legitimately change on every run (the ledger records who ran last and when).
VOLATILE_COLUMNS = {"audit_run_ledger": ("dbt_invocation_id", "last_recorded_at")}
# Tests that only warn: they count faults the source contains on purpose.
# the generator injects these (marketplace_sim: total mismatches, orphans, unknown payment statuses,
# carrier clock errors); any other warning is a problem the source does not have
EXPECTED_WARNINGS = (
    "orders_total_equals_sum_of_parts",
    "relationships_",
    "accepted_values_stg_marketplace__payments",
    "shipments_delivered_after_shipped",
)


def _run_results(settings: Settings) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = json.loads((settings.dbt_target_dir / "run_results.json").read_text())["results"]
    return results


def _fingerprint(settings: Settings) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every table in the staging and marts datasets."""
    bq = client(settings)
    out = {}
    for dataset in (settings.staging_dataset, settings.marts_audit_dataset, settings.marts_dataset):
        for table in bq.list_tables(f"{settings.bq_project}.{dataset}"):
            if table.table_type != "TABLE" or "__dbt_tmp" in table.table_id:
                continue
            volatile = VOLATILE_COLUMNS.get(table.table_id)
            except_clause = f"except ({', '.join(volatile)})" if volatile else ""
            row = next(
                iter(
                    bq.query(
                        "select count(*) as n, bit_xor(farm_fingerprint(to_json_string(t))) as h from "
                        f"(select * {except_clause} from `{settings.bq_project}.{dataset}.{table.table_id}`) as t"
                    ).result()
                )
            )
            out[f"{dataset}.{table.table_id}"] = (row.n, row.h)
    return out


@pytest.fixture(scope="module")
def rebuilt(pipeline_run: Any, settings: Settings) -> tuple[Settings, dict[str, tuple[int, int]]]:
    """Fingerprint of every table after the DAG run, then a plain `dbt build` of the same project."""
    from marketplace_elt.transform import run_dbt

    before = _fingerprint(settings)
    # The ledger is written by publish_marts, one row per run: a manual build would add its own row.
    run_dbt(settings, ["build", "--exclude", "audit_run_ledger"], check=False)
    return settings, before


def test_build_is_green(rebuilt: tuple[Settings, dict[str, tuple[int, int]]]) -> None:
    results = _run_results(rebuilt[0])
    failed = [r["unique_id"] for r in results if r["status"] not in ("success", "pass", "warn")]
    assert not failed, f"dbt build failures: {failed}"
    unexpected = [
        r["unique_id"]
        for r in results
        if r["status"] == "warn" and not any(name in r["unique_id"] for name in EXPECTED_WARNINGS)
    ]
    assert not unexpected, f"warnings for problems the source does not inject: {unexpected}"


def test_rebuild_changes_nothing(rebuilt: tuple[Settings, dict[str, tuple[int, int]]]) -> None:
    settings, before = rebuilt
    assert _fingerprint(settings) == before


def test_docs_catalog_matches_the_documented_columns(rebuilt: tuple[Settings, dict[str, tuple[int, int]]]) -> None:
    from marketplace_elt.transform import run_dbt

    built = rebuilt[0]

    run_dbt(built, ["docs", "generate"])
    target: Path = built.dbt_target_dir
    catalog = json.loads((target / "catalog.json").read_text())
    manifest = json.loads((target / "manifest.json").read_text())
    assert not catalog.get("errors")
    mismatched = {}
    for unique_id, node in manifest["nodes"].items():
        if node["resource_type"] != "model" or node["package_name"] != "marketplace":
            continue
        assert unique_id in catalog["nodes"], f"{node['name']} missing from the catalog"
        actual = set(catalog["nodes"][unique_id]["columns"])
        documented = set(node["columns"])
        if actual != documented:
            mismatched[node["name"]] = {"undocumented": actual - documented, "not_built": documented - actual}
    assert not mismatched, mismatched


@pytest.mark.parametrize(
    ("env", "args", "expected"),
    [
        ({"MARKETPLACE_RUN_ID": "from-airflow"}, ["--vars", '{"run_id": "by-hand"}'], "from-airflow"),
        ({}, ["--vars", '{"run_id": "by-hand"}'], "by-hand"),
        ({}, [], "manual"),
    ],
)
def test_run_var_reads_airflow_then_the_vars_then_the_default(
    services: Any, settings: Settings, tmp_path: Path, env: dict[str, str], args: list[str], expected: str
) -> None:
    """What the audit ledger records as run id: Airflow's variable, else `--vars`, else the project default."""
    import os
    import subprocess

    from marketplace_elt.transform.dbt import dbt_env
    from tests.dbt.conftest import DBT_DIR, dbt_executable

    run_env = {k: v for k, v in os.environ.items() if not k.startswith("MARKETPLACE_")}
    run_env.update({**dbt_env(settings), "DBT_TARGET_PATH": str(tmp_path), **env})
    inline = "select '{{ run_var(\"run_id\") }}' as run_id"
    cmd = [dbt_executable(), "compile", "--inline", inline, *args]
    result = subprocess.run(cmd, cwd=DBT_DIR, env=run_env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:]
    assert f"select '{expected}' as run_id" in result.stdout
