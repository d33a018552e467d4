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


_CREATED_HOME: list[str] = []


def pytest_configure(config: pytest.Config) -> None:
    home = os.environ.get("TEST_MELT_HOME")
    if not home:
        home = tempfile.mkdtemp(prefix="melt-test-")
        _CREATED_HOME.append(home)
    os.chmod(home, 0o755)  # the PostgreSQL server runs as an unprivileged user when tests run as root
    os.environ["MELT_HOME"] = home
    for key, value in TEST_ENV.items():
        os.environ[key] = value
    # Settings-level URLs must follow the test port, not a developer's exported values.
    for key in ("SOURCE_DB_URL", "SOURCE_ADMIN_DB_URL", "EL_BACKEND"):
        os.environ.pop(key, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the session's private state (several hundred MB) unless asked to keep it."""
    if _CREATED_HOME and not os.environ.get("TEST_KEEP_SERVICES"):
        import shutil

        shutil.rmtree(_CREATED_HOME[0], ignore_errors=True)


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


@pytest.fixture(scope="session")
def dbt_manifest(settings) -> Path:  # type: ignore[no-untyped-def]
    """The manifest Cosmos renders from (`dbt parse`: no warehouse connection needed)."""
    from marketplace_elt.transform import build_manifest

    return build_manifest(settings)


@pytest.fixture(scope="session")
def airflow_environment(settings, dbt_manifest) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Airflow's environment for this session, applied to os.environ so in-process imports see it."""
    from marketplace_elt.orchestration.airflow_env import airflow_env

    env = airflow_env(settings)
    os.environ.update(env)
    return env


TEST_SCALE = float(os.environ.get("TEST_SCALE", "0.1"))
TEST_SEED = 7


@pytest.fixture(scope="session")
def seeded_source(services):  # type: ignore[no-untyped-def]
    """The generated marketplace at test scale (deterministic), loaded once per session."""
    from marketplace_sim import seed, table_counts

    if sum(table_counts(services).values()) == 0:
        seed(services, scale=TEST_SCALE, seed=TEST_SEED, reset=False)
    return services


@pytest.fixture(scope="session")
def pipeline_run(seeded_source, airflow_environment):  # type: ignore[no-untyped-def]
    """One full DAG run (airflow dags test) on the seeded source: what `make run` does."""
    from marketplace_elt.pipeline.run import run_pipeline

    return run_pipeline(seeded_source, scale=TEST_SCALE, seed=TEST_SEED)
