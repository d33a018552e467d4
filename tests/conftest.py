"""Shared fixtures: the real embedded services, started once per test session on private ports.

Tests never touch the developer's own state (`.state/`, default ports): the session uses its own
MELT_HOME and ports, exported to the environment so subprocesses (CLI, dbt, Airflow) see them too.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

TEST_ENV = {
    "SOURCE_PG_PORT": os.environ.get("TEST_SOURCE_PG_PORT", "55532"),
    "BQ_EMULATOR_PORT": os.environ.get("TEST_BQ_EMULATOR_PORT", "9150"),
    "BQ_EMULATOR_GRPC_PORT": os.environ.get("TEST_BQ_EMULATOR_GRPC_PORT", "9160"),
    "AIRFLOW_PORT": os.environ.get("TEST_AIRFLOW_PORT", "8180"),
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
}


def pytest_configure(config: pytest.Config) -> None:
    home = os.environ.get("TEST_MELT_HOME") or tempfile.mkdtemp(prefix="melt-test-")
    os.chmod(home, 0o755)  # the PostgreSQL server runs as an unprivileged user when tests run as root
    os.environ["MELT_HOME"] = home
    for key, value in TEST_ENV.items():
        os.environ[key] = value
    # Settings-level URLs must follow the test port, not a developer's exported values.
    for key in ("SOURCE_DB_URL", "SOURCE_ADMIN_DB_URL", "EL_BACKEND"):
        os.environ.pop(key, None)


@pytest.fixture(scope="session")
def settings():  # type: ignore[no-untyped-def]
    from marketplace_elt.settings import Settings

    return Settings.from_env()


@pytest.fixture(scope="session")
def services(settings) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Embedded PostgreSQL + BigQuery emulator, running, datasets created. Stopped at session end."""
    from marketplace_elt import services as svc

    svc.up(settings)
    yield settings
    if not os.environ.get("TEST_KEEP_SERVICES"):
        svc.down(settings)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parents[1]
