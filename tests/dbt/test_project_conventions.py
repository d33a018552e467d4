"""The dbt project's conventions, checked on the manifest of `dbt parse` (no warehouse needed)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from marketplace_elt.el.catalog import load_catalog
from tests.dbt.conftest import DBT_DIR, ParsedProject, run_parse

MART_FOLDERS = {"finance", "core", "marketing", "audit"}
# the catalog's streams, plus the loader's own sync log
SOURCE_TABLES = {*load_catalog().names, "el_sync_log"}
REQUIRED_MODELS = {
    "fct_orders", "fct_daily_sales", "dim_users", "dim_products", "fct_seller_performance",
    "fct_payment_reconciliation", "fct_customer_cohorts", "mart_audit_daily", "mart_audit_rolling",
    "mart_audit_top3", "audit_run_ledger",
}  # fmt: skip


def _folder(node: dict) -> list[str]:
    return Path(node["original_file_path"]).parts


def _sql_files() -> list[Path]:
    return sorted(p for d in ("models", "macros", "tests", "snapshots") for p in (DBT_DIR / d).rglob("*.sql"))


def _strip_comments(sql: str) -> str:
    sql = re.sub(r"\{#.*?#\}", "", sql, flags=re.S)
    return re.sub(r"--[^\n]*", "", sql)


def test_parse_needs_no_service_and_uses_the_environment(parsed_project: ParsedProject) -> None:
    assert parsed_project.manifest["metadata"]["adapter_type"] == "bigquery"
    assert set(parsed_project.models) >= REQUIRED_MODELS


def test_prod_target_parses_without_credentials(tmp_path: Path) -> None:
    parsed = run_parse(tmp_path, target="prod")
    assert "fct_orders" in parsed.models


def test_every_model_is_documented_with_its_grain(parsed_project: ParsedProject) -> None:
    missing = [n for n, m in parsed_project.models.items() if not re.search(r"\brows? per\b", m["description"], re.I)]
    assert not missing, f"models whose description does not state the grain ('One row per ...'): {missing}"


def test_every_column_is_documented(parsed_project: ParsedProject) -> None:
    problems = []
    for name, model in parsed_project.models.items():
        if not model["columns"]:
            problems.append(f"{name}: no columns in yml")
        problems += [f"{name}.{c}" for c, col in model["columns"].items() if not col["description"].strip()]
    assert not problems, f"undocumented: {problems}"


def test_every_model_has_a_unique_not_null_key(parsed_project: ParsedProject) -> None:
    missing = []
    for name, model in parsed_project.models.items():
        tests_by_column: dict[str, set[str]] = {}
        for test in parsed_project.tests_on(model["unique_id"]):
            meta = test.get("test_metadata") or {}
            if test.get("column_name"):
                tests_by_column.setdefault(test["column_name"], set()).add(meta.get("name", ""))
        if not any({"unique", "not_null"} <= names for names in tests_by_column.values()):
            missing.append(name)
    assert not missing, f"models without a column tested unique + not_null: {missing}"


def test_model_names_follow_their_layer(parsed_project: ParsedProject) -> None:
    wrong = []
    for name, model in parsed_project.models.items():
        parts = _folder(model)
        if parts[1] == "staging":
            ok = parts[2] == "marketplace" and (
                (len(parts) == 4 and name.startswith("stg_marketplace__"))
                or (parts[3] == "base" and name.startswith("base_marketplace__"))
            )
        elif parts[1] == "intermediate":
            ok = re.fullmatch(r"int_[a-z0-9_]+__[a-z0-9_]+", name) is not None
        elif parts[1] == "marts":
            ok = parts[2] in MART_FOLDERS and (
                name.startswith(("fct_", "dim_"))
                or (parts[2] == "audit" and name.startswith(("mart_audit_", "audit_")))
            )
        else:
            ok = False
        if not ok:
            wrong.append(model["original_file_path"])
    assert not wrong, f"models outside the naming convention of their folder: {wrong}"


def test_layers_only_read_downwards(parsed_project: ParsedProject) -> None:
    """Sources are read by staging only; staging never reads marts; marts never read sources."""
    wrong = []
    for name, model in parsed_project.models.items():
        layer = _folder(model)[1]
        upstream = model["depends_on"]["nodes"]
        reads_source = any(u.startswith("source.") for u in upstream)
        if layer != "staging" and reads_source:
            wrong.append(f"{name} reads a source")
        if layer == "staging" and any(".int_" in u or ".fct_" in u or ".dim_" in u or ".mart_" in u for u in upstream):
            wrong.append(f"{name} reads a downstream layer")
    assert not wrong, wrong


def test_datasets_come_from_the_environment(parsed_project: ParsedProject) -> None:
    env = parsed_project.env
    for name, model in parsed_project.models.items():
        layer = _folder(model)[1]
        # marts are built beside the published dataset, into <marts>__audit (write-audit-publish)
        expected = env["BQ_MARTS_DATASET"] + "__audit" if layer == "marts" else env["BQ_STAGING_DATASET"]
        assert model["schema"] == expected, f"{name} would be built in {model['schema']}"
        assert model["database"] == env["BQ_PROJECT"]
    for kind in ("seed", "snapshot"):
        for node in parsed_project.nodes_of(kind):
            assert node["schema"] == env["BQ_STAGING_DATASET"], node["name"]
    sources = parsed_project.manifest["sources"].values()
    assert {s["name"] for s in sources} == SOURCE_TABLES
    for source in sources:
        assert (source["database"], source["schema"]) == (env["BQ_PROJECT"], env["BQ_RAW_DATASET"])


def test_sql_names_no_dataset_or_project() -> None:
    """Tables are reached through ref()/source() only: no `project.dataset` or `dataset.table` literal."""
    literal = re.compile(r"`[^`]*\.[^`]*`|\b(raw|staging|marts|marketplace-analytics)\.[a-z_]+\b", re.I)
    offenders = [
        f"{p.relative_to(DBT_DIR)}: {m.group(0)}"
        for p in _sql_files()
        # the catalog override quotes the project and dataset that dbt passes to it
        if p.name != "catalog.sql"
        for m in literal.finditer(_strip_comments(p.read_text()))
    ]
    assert not offenders, offenders


def test_staging_reads_no_loader_column_but_extracted_at() -> None:
    staging = sorted((DBT_DIR / "models" / "staging").rglob("*.sql"))
    assert staging
    offenders = [
        f"{p.name}: {col}"
        for p in staging
        for col in set(re.findall(r"_airbyte_\w+", p.read_text()))
        if col != "_airbyte_extracted_at"
    ]
    assert not offenders, offenders


def test_sources_have_freshness_on_extracted_at(parsed_project: ParsedProject) -> None:
    for source in parsed_project.manifest["sources"].values():
        freshness = source["freshness"]
        assert freshness["warn_after"] == {"count": 12, "period": "hour"}, source["name"]
        assert freshness["error_after"] == {"count": 24, "period": "hour"}, source["name"]
        expected = "finished_at" if source["name"] == "el_sync_log" else "_airbyte_extracted_at"
        assert source["loaded_at_field"] == expected, source["name"]


def test_incremental_models_merge_on_a_key(parsed_project: ParsedProject) -> None:
    incremental = {n: m for n, m in parsed_project.models.items() if m["config"]["materialized"] == "incremental"}
    assert {"fct_orders", "fct_daily_sales", "fct_payment_reconciliation", "audit_run_ledger"} <= set(incremental)
    for name, model in incremental.items():
        config = model["config"]
        assert config["incremental_strategy"] == "merge", name
        assert config["unique_key"], name
        # append_new_columns / insert_overwrite do not work on the emulator; schema drift must fail loudly
        assert config["on_schema_change"] == "fail", name


def test_large_facts_are_partitioned_and_clustered(parsed_project: ParsedProject) -> None:
    for name in ("fct_orders", "fct_daily_sales", "fct_payment_reconciliation"):
        config = parsed_project.models[name]["config"]
        assert config["partition_by"]["data_type"] == "date", name
        assert config["cluster_by"], name


def test_project_vars_have_defaults(parsed_project: ParsedProject) -> None:
    project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    assert {"source_timezone", "data_interval_start", "data_interval_end", "lookback_days", "run_id"} <= set(
        project["vars"]
    )
    # What the defaults do is tested where they act (run_var in tests/dbt/test_dbt_on_emulator.py,
    # the look-back by the incremental-equals-full drill); here only that each var has one.
    assert all(project["vars"][name] is not None for name in ("lookback_days", "run_id", "source_timezone"))
    assert "SOURCE_TIMEZONE" in project["vars"]["source_timezone"]


def test_profile_reads_only_environment_variables() -> None:
    profile = yaml.safe_load((DBT_DIR / "profiles.yml").read_text())["marketplace"]
    assert "DBT_TARGET" in profile["target"]
    outputs = profile["outputs"]
    assert outputs["emulator"]["method"] == "oauth-secrets"
    assert "BQ_EMULATOR_URL" in outputs["emulator"]["api_endpoint"]
    assert "oauth" in outputs["prod"]["method"] and "BQ_KEYFILE" in outputs["prod"]["keyfile"]
    for target in outputs.values():
        for key, env_var in (("project", "BQ_PROJECT"), ("dataset", "BQ_STAGING_DATASET"), ("location", "BQ_LOCATION")):
            assert env_var in target[key], (key, target[key])


@pytest.mark.parametrize(
    ("model", "purpose"),
    [
        ("stg_marketplace__payments", "webhook replay deduplication"),
        ("int_orders__converted_to_usd", "USD conversion"),
        ("int_seller_tiers__historized", "seller tier SCD2"),
    ],
)
def test_core_logic_has_unit_tests(parsed_project: ParsedProject, model: str, purpose: str) -> None:
    unit_tests = [u for u in parsed_project.manifest["unit_tests"].values() if u["model"] == model]
    assert unit_tests, f"no dbt unit test for {purpose} ({model})"


def test_every_project_macro_is_exercised(parsed_project: ParsedProject) -> None:
    """Each helper macro is used by a model or test (the catalog override by `dbt docs generate`)."""
    manifest = parsed_project.manifest
    project_macros = {m["name"]: m for m in manifest["macros"].values() if m["package_name"] == "marketplace"}
    used: set[str] = set()
    users = [*manifest["nodes"].values(), *manifest["unit_tests"].values(), *project_macros.values()]
    for node in users:
        used.update(m.split(".")[-1] for m in node.get("depends_on", {}).get("macros", []))
    # calls inside `{% if is_incremental() %}` are not rendered at parse time: look for them in the code
    code = "\n".join(n.get("raw_code", "") for n in manifest["nodes"].values())
    used.update(name for name in project_macros if re.search(rf"\b{name}\s*\(", code))
    exercised_elsewhere = {
        "generate_schema_name",  # every node's schema (test_datasets_come_from_the_environment)
        "bigquery__get_catalog",  # dbt docs generate (test_dbt_on_emulator)
        "bigquery__get_catalog_relations",
        "compare_datasets",  # `marketplace-elt marts compare` (tests/publish/test_compare_relations.py)
    }
    unused = set(project_macros) - used - exercised_elsewhere
    assert not unused, f"macros no model or test uses: {sorted(unused)}"
    for required in ("null_if_sentinel", "deduplicate", "week_start", "test_expression_is_true",
                     "test_unique_combination_of_columns", "bigquery__get_catalog"):  # fmt: skip
        assert required in project_macros, required


def test_sql_avoids_what_the_emulator_gets_wrong() -> None:
    """See docs/emulator-sql-limits.md: these constructs give different results on the emulator."""
    patterns = {
        r"date_trunc\s*\([^)]*\bweek\b": "DATE_TRUNC(..., WEEK): use the week_start() macro",
        r"\bisoweek\b": "ISOWEEK is unsupported: use week_start()",
        r"date_trunc\s*\([^)]*,\s*month\s*\)": "DATE_TRUNC(date, MONTH) returns DATETIME: use month_start()",
        r"insert_overwrite": "the insert_overwrite strategy fails on the emulator",
        r"append_new_columns": "on_schema_change=append_new_columns fails on the emulator",
        r"\bas\s+numeric\s*\)": "CAST(x AS NUMERIC) keeps 3 decimals on the emulator: cast to {{ numeric_type() }}",
    }
    offenders = [
        f"{p.relative_to(DBT_DIR)}: {why}"
        for p in _sql_files()
        if "macros" not in p.parts or p.name != "dates.sql"
        for pattern, why in patterns.items()
        if re.search(pattern, _strip_comments(p.read_text()), re.I)
    ]
    assert not offenders, offenders


def test_a_new_run_context_keeps_the_partial_parse(tmp_path: Path) -> None:
    """Airflow passes the run id and data interval as MARKETPLACE_* variables that `run_var` reads
    only while executing: a new run reuses dbt's partial parse, where new `--vars` force a full one."""
    from tests.dbt.conftest import dbt_executable, parse_env

    def parse(run: str, *extra: str) -> str:
        env = {
            **parse_env(tmp_path),
            "MARKETPLACE_RUN_ID": run,
            "MARKETPLACE_DATA_INTERVAL_START": f"2026-01-0{run[-1]}T00:00:00+00:00",
            "MARKETPLACE_DATA_INTERVAL_END": f"2026-01-0{int(run[-1]) + 1}T00:00:00+00:00",
        }
        cmd = [dbt_executable(), "parse", "--profile", "marketplace", "--target", "emulator", *extra]
        result = subprocess.run(cmd, cwd=DBT_DIR, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout[-2000:]
        return result.stdout

    parse("run-1")
    assert "Unable to do partial parsing" not in parse("run-2")
    assert "Unable to do partial parsing because config vars" in parse("run-3", "--vars", '{"run_id": "run-3"}')


def test_run_context_is_read_from_airflow_first_then_the_vars() -> None:
    """run_var is the only reader of the run context; it is read at execution only."""
    macro = (DBT_DIR / "macros" / "run_var.sql").read_text()
    assert "env_var('MARKETPLACE_' ~ name | upper, '') if execute" in macro
    for path in _sql_files():
        code = _strip_comments(path.read_text())
        for name in ("data_interval_start", "data_interval_end", "run_id"):
            assert not re.search(rf"(?<!\w)var\(\s*['\"]{name}['\"]", code) or path.name == "run_var.sql", (path, name)
