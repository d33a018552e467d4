"""Fixtures for the dbt project tests: a manifest from `dbt parse`, built without any service.

The parse runs with dataset and project names that appear nowhere in the project, and with an
emulator URL that nothing listens on, so the manifest itself proves that names come from the
environment and that parsing needs no warehouse.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt"


@dataclass(frozen=True)
class ParsedProject:
    manifest: dict[str, Any]
    env: dict[str, str]

    @property
    def models(self) -> dict[str, dict[str, Any]]:
        return {
            node["name"]: node
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == "model" and node["package_name"] == "marketplace"
        }

    def nodes_of(self, resource_type: str) -> list[dict[str, Any]]:
        return [
            node
            for node in self.manifest["nodes"].values()
            if node["resource_type"] == resource_type and node["package_name"] == "marketplace"
        ]

    def tests_on(self, unique_id: str) -> list[dict[str, Any]]:
        """Data tests attached to a node (generic tests record it as attached_node)."""
        return [t for t in self.nodes_of("test") if t.get("attached_node") == unique_id]


def dbt_executable() -> str:
    exe = Path(sys.executable).parent / "dbt"
    return str(exe) if exe.exists() else "dbt"


def parse_env(tmp: Path, target: str = "emulator") -> dict[str, str]:
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(DBT_DIR),
        "DBT_TARGET": target,
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # port 9 (discard) has no emulator: parsing must not need one
        "BQ_EMULATOR_URL": "http://127.0.0.1:9",
        "BQ_PROJECT": "parse-check-project",
        "BQ_LOCATION": "EU",
        "BQ_RAW_DATASET": "parse_check_raw",
        "BQ_STAGING_DATASET": "parse_check_staging",
        "BQ_MARTS_DATASET": "parse_check_marts",
        "SOURCE_TIMEZONE": "Europe/Paris",
    }


def run_parse(tmp: Path, target: str = "emulator") -> ParsedProject:
    env = parse_env(tmp, target)
    result = subprocess.run(
        [dbt_executable(), "parse", "--no-partial-parse"],
        cwd=DBT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"dbt parse failed:\n{result.stdout}\n{result.stderr}"
    manifest = json.loads((tmp / "target" / "manifest.json").read_text())
    return ParsedProject(manifest=manifest, env=env)


@pytest.fixture(scope="session")
def parsed_project(tmp_path_factory: pytest.TempPathFactory) -> ParsedProject:
    return run_parse(tmp_path_factory.mktemp("dbt-parse"))
