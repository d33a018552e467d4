"""A start that fails stops what it started and says why in one line: taken ports, a DAG that does not import."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace_elt import services as svc
from marketplace_elt.errors import ServiceError
from marketplace_elt.services.bq_emulator import BigQueryEmulator
from marketplace_elt.services.postgres import EmbeddedPostgres
from marketplace_elt.services.process import port_in_use
from marketplace_elt.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def fresh_home() -> Iterator[Path]:
    """A new MELT_HOME the PostgreSQL server user can reach (pytest's tmp_path is private to root)."""
    import shutil

    home = Path(tempfile.mkdtemp(prefix="fresh-", dir=os.environ["MELT_HOME"]))
    home.chmod(0o755)
    yield home
    shutil.rmtree(home, ignore_errors=True)


def _fresh_settings(monkeypatch: pytest.MonkeyPatch, home: Path, **env: str) -> Settings:
    monkeypatch.setenv("MELT_HOME", str(home))
    for var in ("SOURCE_DB_URL", "SOURCE_ADMIN_DB_URL", "AIRFLOW_DB_URL"):
        monkeypatch.delenv(var, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return Settings.from_env()


def test_services_up_with_the_emulator_port_taken_starts_nothing(fresh_home: Path, busy_port: int) -> None:
    pg_port = _free_port()
    env = {
        **os.environ,
        "MELT_HOME": str(fresh_home),
        "SOURCE_PG_PORT": str(pg_port),
        "BQ_EMULATOR_PORT": str(busy_port),
        "BQ_EMULATOR_GRPC_PORT": str(_free_port()),
    }
    for var in ("SOURCE_DB_URL", "SOURCE_ADMIN_DB_URL", "AIRFLOW_DB_URL"):
        env.pop(var, None)
    result = subprocess.run(
        [sys.executable, "-m", "marketplace_elt.cli", "services", "up"], capture_output=True, text=True, env=env
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: port {busy_port} is already taken by another process; "
        "set BQ_EMULATOR_PORT to a free port (or stop that process); nothing was started"
    ]
    assert not port_in_use(pg_port), "PostgreSQL was left running"
    assert not (fresh_home / "postgres" / "data").exists()


def test_a_failure_after_postgres_started_stops_it_again(monkeypatch: pytest.MonkeyPatch, fresh_home: Path) -> None:
    settings = _fresh_settings(
        monkeypatch,
        fresh_home,
        SOURCE_PG_PORT=str(_free_port()),
        BQ_EMULATOR_PORT=str(_free_port()),
        BQ_EMULATOR_GRPC_PORT=str(_free_port()),
    )

    def emulator_fails(self: BigQueryEmulator, timeout: float = 60.0) -> None:
        raise ServiceError("BigQuery emulator exited at start (simulated); see the log")

    monkeypatch.setattr(BigQueryEmulator, "start", emulator_fails)
    pg = EmbeddedPostgres(settings)
    try:
        with pytest.raises(ServiceError, match="simulated"):
            svc.up(settings)
        assert pg.is_initialised(), "PostgreSQL should have been started first"
        assert not pg.status().running, "PostgreSQL was left running after the failed `services up`"
        assert not port_in_use(settings.source_pg_port)
    finally:
        pg.stop()


def test_airflow_start_refuses_a_dag_that_does_not_import(monkeypatch: pytest.MonkeyPatch, fresh_home: Path) -> None:
    from marketplace_elt.orchestration import local_airflow

    # A fresh home has no dbt manifest: the DAG file fails to import, as any broken DAG would.
    settings = _fresh_settings(monkeypatch, fresh_home, AIRFLOW_PORT=str(_free_port()))
    with pytest.raises(ServiceError) as err:
        local_airflow.start(settings, timeout=5)
    message = str(err.value)
    assert "\n" not in message
    assert "marketplace_elt.py does not import: " in message and "dbt manifest missing" in message
    assert "nothing was (re)started" in message
    assert "Traceback" in (settings.logs_dir / "dag-import-errors.log").read_text()
    assert not local_airflow.running(settings), "an Airflow component was started"


def test_an_invalid_schedule_in_a_dag_file_is_reported(
    monkeypatch: pytest.MonkeyPatch, fresh_home: Path, tmp_path: Path
) -> None:
    from marketplace_elt.orchestration import local_airflow

    dags = tmp_path / "dags"
    dags.mkdir()
    (dags / "late.py").write_text('from airflow.sdk import DAG\ndag = DAG("late", schedule="every tuesday")\n')
    settings = _fresh_settings(monkeypatch, fresh_home)
    with pytest.raises(ServiceError, match=r"late\.py does not import: AirflowTimetableInvalid"):
        local_airflow.require_dags_import(settings, dags)
