"""The embedded services, started for real: health, restart survival, clear errors."""

from __future__ import annotations

import dataclasses
import socket
import uuid

import psycopg
import pytest

from marketplace_elt import services as svc
from marketplace_elt.bigquery import client
from marketplace_elt.errors import ServiceError
from marketplace_elt.services.bq_emulator import BigQueryEmulator
from marketplace_elt.services.postgres import EmbeddedPostgres
from marketplace_elt.settings import Settings


def test_both_services_are_healthy_and_datasets_exist(services: Settings) -> None:
    assert EmbeddedPostgres(services).status().running
    assert BigQueryEmulator(services).status().healthy
    datasets = {d.dataset_id for d in client(services).list_datasets()}
    assert {"raw", "staging", "marts"} <= datasets


def test_owner_can_log_in_over_tcp_with_its_password(services: Settings) -> None:
    with psycopg.connect(services.source_admin_url) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("marketplace_owner",)


def test_data_survives_a_restart(services: Settings) -> None:
    marker = f"t_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(services.source_admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {marker} (v int)")
        conn.execute(f"INSERT INTO {marker} VALUES (7)")
    bq = client(services)
    bq.query(f"CREATE TABLE `{services.bq_project}.raw.{marker}` AS SELECT 7 AS v").result()

    svc.down(services)
    assert not EmbeddedPostgres(services).status().running
    assert not BigQueryEmulator(services).status().running
    svc.up(services)

    with psycopg.connect(services.source_admin_url, autocommit=True) as conn:
        assert conn.execute(f"SELECT v FROM {marker}").fetchone() == (7,)
        conn.execute(f"DROP TABLE {marker}")
    rows = list(client(services).query(f"SELECT v FROM `{services.bq_project}.raw.{marker}`").result())
    assert [r.v for r in rows] == [7]
    client(services).delete_table(f"{services.bq_project}.raw.{marker}")


def test_up_twice_is_a_no_op(services: Settings) -> None:
    pid_before = BigQueryEmulator(services).status().pid
    svc.up(services)
    assert BigQueryEmulator(services).status().pid == pid_before


@pytest.fixture
def busy_port() -> object:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    yield sock.getsockname()[1]
    sock.close()


def test_taken_port_gives_a_one_line_error(settings: Settings, tmp_path: object, busy_port: int) -> None:
    other = dataclasses.replace(settings, home=tmp_path, bq_emulator_port=busy_port)  # type: ignore[arg-type]
    with pytest.raises(ServiceError) as err:
        BigQueryEmulator(other).start()
    assert str(err.value) == (
        f"port {busy_port} is already taken by another process; "
        "set BQ_EMULATOR_PORT to a free port (or stop that process)"
    )
    pg = dataclasses.replace(settings, home=tmp_path, source_pg_port=busy_port)  # type: ignore[arg-type]
    with pytest.raises(ServiceError, match=f"port {busy_port} is already taken.*SOURCE_PG_PORT"):
        EmbeddedPostgres(pg).start()


def test_services_up_reapplies_the_generated_passwords_to_existing_roles(services: Settings) -> None:
    """A state directory whose roles have other passwords (e.g. the old fixed ones) keeps working."""
    from psycopg import sql

    from marketplace_sim.schema import init

    init(services)  # the read-only role exists once `source init` ran
    urls = [services.source_admin_url, services.source_db_url, services.airflow_db_url.replace("+psycopg2", "")]
    with psycopg.connect(EmbeddedPostgres(services).superuser_conninfo(), autocommit=True) as conn:
        for role in ("marketplace_owner", "marketplace_replicator", "airflow"):
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(role)))
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(services.source_db_url).close()

    svc.up(services)
    for url in urls:
        with psycopg.connect(url) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
