"""The stream catalog (airbyte/streams/*.yml) is the only list of source tables: code, dbt, Airflow
and Terraform read it instead of repeating three or more stream names, and the dbt sources yml
declares exactly the catalog's streams with their primary keys tested."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from marketplace_elt.el import load_catalog
from marketplace_elt.el.catalog import DBT_MACRO_RELPATH
from marketplace_elt.settings import PROJECT_ROOT

SCANNED = ("src", "dbt", "airflow", "airbyte/terraform")
SUFFIXES = {".py", ".sql", ".yml", ".yaml", ".tf", ".json", ".toml"}
SKIPPED_DIRS = {"target", "logs", "dbt_packages", "__pycache__", ".venv"}
GENERATED = PROJECT_ROOT / "dbt" / DBT_MACRO_RELPATH  # rendered from the catalog, so it may list streams
SOURCES_YML = PROJECT_ROOT / "dbt" / "models" / "staging" / "marketplace" / "_marketplace__sources.yml"
LOADER_TABLES = {"el_sync_log"}  # written by the loader itself, not synced from the source

# the innermost (...), [...] or {...}: a tuple, list, set, dict, SQL IN list, HCL or Jinja literal
_GROUP = re.compile(r"[\[({]([^\[\](){}]*)[\])}]")
_QUOTED = re.compile(r"""["'`]([a-z_][a-z0-9_]*)["'`]""")
_BARE = re.compile(r"\b([a-z_][a-z0-9_]*)\b")
_YAML_ITEM = re.compile(r"^\s*-\s+['\"]?([a-z_][a-z0-9_]*)['\"]?\s*$")


def stream_lists(text: str, names: set[str], yaml_file: bool) -> Iterator[list[str]]:
    """Every literal list in ``text`` naming three or more streams."""
    for group in _GROUP.finditer(text):
        content = group.group(1)
        found = set(_QUOTED.findall(content))
        if yaml_file and group.group(0).startswith("["):  # YAML flow list: [users, orders, payments]
            found |= set(_BARE.findall(content))
        if len(found & names) >= 3:
            yield sorted(found & names)
    if yaml_file:  # YAML block list: consecutive "- users" lines
        run: list[str] = []
        for line in [*text.splitlines(), ""]:
            item = _YAML_ITEM.match(line)
            if item and item.group(1) in names:
                run.append(item.group(1))
                continue
            if len(set(run)) >= 3:
                yield sorted(set(run))
            run = []


def scanned_files() -> Iterator[Path]:
    for top in SCANNED:
        for path in sorted((PROJECT_ROOT / top).rglob("*")):
            if path.suffix in SUFFIXES and path.is_file() and not SKIPPED_DIRS & set(path.parts) and path != GENERATED:
                yield path


def test_the_detector_finds_literal_lists() -> None:
    names = {"users", "orders", "payments", "reviews"}
    assert list(stream_lists('TABLES = (\n    "users",\n    "orders",\n    "payments",\n)', names, False))
    assert list(stream_lists("{% set s = {'users': 'a', 'orders': 'b', 'payments': 'c'} %}", names, False))
    assert list(stream_lists("tables: [users, orders, reviews]", names, True))
    assert list(stream_lists("streams:\n  - users\n  - orders\n  - payments\n", names, True))
    assert not list(stream_lists("values: [users, orders]", names, True))
    assert not list(stream_lists("Dedup streams (users, products, orders, reviews) hold one row", names, True))
    assert not list(stream_lists("for s in catalog.streams if s.name in ('users',)", names, False))


def test_no_file_repeats_the_stream_list() -> None:
    names = set(load_catalog().names)
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)} lists {', '.join(found)}"
        for path in scanned_files()
        for found in stream_lists(path.read_text(errors="replace"), names, path.suffix in (".yml", ".yaml"))
    ]
    assert not offenders, (
        "read the stream catalog (marketplace_elt.el.catalog.load_catalog(), the dbt macro "
        f"marketplace_streams(), or Terraform's local.streams) instead of listing streams: {offenders}"
    )


def _sources() -> dict[str, dict]:
    (source,) = yaml.safe_load(SOURCES_YML.read_text())["sources"]
    return {table["name"]: table for table in source["tables"]}


def test_dbt_sources_are_the_catalog_streams() -> None:
    assert set(_sources()) - LOADER_TABLES == set(load_catalog().names)


@pytest.mark.parametrize("stream", load_catalog().names)
def test_each_source_tests_its_primary_key_unique_and_not_null(stream: str) -> None:
    table = _sources()[stream]
    columns = {c["name"]: c for c in table.get("columns", [])}
    for key in load_catalog().stream(stream).primary_key:
        assert key in columns, f"{SOURCES_YML.name}: source {stream} does not list its primary key {key}"
        tests = {t if isinstance(t, str) else next(iter(t)) for t in columns[key].get("data_tests", [])}
        assert {"unique", "not_null"} <= tests, f"{SOURCES_YML.name}: test {stream}.{key} unique and not_null"
