"""Fixtures of the source-database tests.

They run against the session's embedded PostgreSQL (the ``services`` fixture) but in a database of
their own, ``marketplace_source_tests``: seeding with --reset and advancing the clock here never
disturbs the ``marketplace`` database other test modules fill and read.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

TEST_DATABASE = "marketplace_source_tests"


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{database}"))


@pytest.fixture(scope="session")
def source_settings(services: Any) -> Any:
    """Settings whose owner and read-only URLs point at the private test database (created here)."""
    from marketplace_elt.services.postgres import EmbeddedPostgres

    if not services.embedded_postgres:
        pytest.skip("the source tests create their own database on the embedded PostgreSQL")
    admin_url = _with_database(services.source_admin_url, TEST_DATABASE)
    EmbeddedPostgres(services).ensure_database(admin_url)
    return dataclasses.replace(
        services,
        source_admin_url=admin_url,
        source_db_url=_with_database(services.source_db_url, TEST_DATABASE),
    )


@pytest.fixture(scope="session")
def cli_env(source_settings: Any) -> dict[str, str]:
    """Environment for running `marketplace-elt` in a subprocess against the test database."""
    return {
        **os.environ,
        "SOURCE_ADMIN_DB_URL": source_settings.source_admin_url,
        "SOURCE_DB_URL": source_settings.source_db_url,
    }


@pytest.fixture(scope="session")
def run_cli(cli_env: dict[str, str]) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "marketplace_elt.cli", *args],
            capture_output=True,
            text=True,
            env={**cli_env, **(env or {})},
            timeout=300,
        )

    return run


@pytest.fixture
def owner(source_settings: Any) -> Any:
    """An autocommit owner connection to the test database (UTC session)."""
    with psycopg.connect(source_settings.source_admin_url, autocommit=True, options="-c TimeZone=UTC") as conn:
        yield conn
