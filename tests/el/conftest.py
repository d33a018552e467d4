"""Fixtures of the extract-load tests: a private source database and raw dataset per test module.

The session's `services` fixture gives the real PostgreSQL and BigQuery emulator; each module here
gets its own database on that PostgreSQL (`marketplace_el_<module>`) and its own raw dataset
(`raw_el_<module>`), so these tests neither see nor disturb what other test modules load.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from marketplace_elt.settings import Settings


def _with_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def isolated_settings(settings: Settings, name: str) -> Settings:
    return dataclasses.replace(
        settings,
        source_admin_url=_with_db(settings.source_admin_url, f"marketplace_el_{name}"),
        source_db_url=_with_db(settings.source_db_url, f"marketplace_el_{name}"),
        raw_dataset=f"raw_el_{name}",
    )


def env_for(settings: Settings) -> dict[str, str]:
    """Environment for a `marketplace-elt` subprocess that must use these settings."""
    return {
        **os.environ,
        "SOURCE_ADMIN_DB_URL": settings.source_admin_url,
        "SOURCE_DB_URL": settings.source_db_url,
        "BQ_RAW_DATASET": settings.raw_dataset,
    }


def _create_database(settings: Settings, isolated: Settings) -> None:
    from marketplace_elt.services.postgres import EmbeddedPostgres

    db = urlsplit(isolated.source_admin_url).path.lstrip("/")
    owner = urlsplit(isolated.source_admin_url).username or "marketplace_owner"
    with psycopg.connect(EmbeddedPostgres(settings).superuser_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(owner)))
    with psycopg.connect(EmbeddedPostgres(settings).superuser_conninfo(db), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))


def _drop(settings: Settings, isolated: Settings) -> None:
    from marketplace_elt.bigquery import client
    from marketplace_elt.services.postgres import EmbeddedPostgres

    client(isolated).delete_dataset(
        f"{isolated.bq_project}.{isolated.raw_dataset}", delete_contents=True, not_found_ok=True
    )
    db = urlsplit(isolated.source_admin_url).path.lstrip("/")
    with psycopg.connect(EmbeddedPostgres(settings).superuser_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))


@pytest.fixture(scope="module")
def el_settings(services: Settings, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings pointing at this module's own source database (schema created) and raw dataset."""
    from marketplace_elt.bigquery import client
    from marketplace_elt.source import init

    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    isolated = isolated_settings(services, name)
    _create_database(services, isolated)
    init(isolated)
    client(isolated).delete_dataset(
        f"{isolated.bq_project}.{isolated.raw_dataset}", delete_contents=True, not_found_ok=True
    )
    yield isolated
    if not os.environ.get("TEST_KEEP_SERVICES"):
        _drop(services, isolated)


@pytest.fixture(scope="module")
def owner(el_settings: Settings) -> Iterator[psycopg.Connection]:
    """An autocommit owner connection to the module's source database (to change source data)."""
    with psycopg.connect(el_settings.source_admin_url, autocommit=True) as conn:
        yield conn
