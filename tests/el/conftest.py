"""Fixtures of the extract-load tests: a private source database and raw dataset per test module.

The session's `services` fixture gives the real PostgreSQL and BigQuery emulator; each module here
gets its own database on that PostgreSQL (`marketplace_el_<module>`) and its own raw dataset
(`raw_el_<module>`), so these tests neither see nor disturb what other test modules load.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import psycopg
import pytest

from marketplace_elt.el import SyncResult, sync
from marketplace_elt.settings import Settings
from tests.el import minisource as m
from tests.isolation import create, drop, isolated_settings


@pytest.fixture(scope="module")
def el_settings(services: Settings, request: pytest.FixtureRequest) -> Iterator[Settings]:
    """Settings pointing at this module's own source database (schema created) and raw dataset."""
    from marketplace_elt.bigquery import client
    from marketplace_sim import init

    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    isolated = isolated_settings(services, name)
    create(services, isolated)
    init(isolated)
    client(isolated).delete_dataset(
        f"{isolated.bq_project}.{isolated.raw_dataset}", delete_contents=True, not_found_ok=True
    )
    yield isolated
    if not os.environ.get("TEST_KEEP_SERVICES"):
        drop(services, isolated)


@pytest.fixture(scope="module")
def owner(el_settings: Settings) -> Iterator[psycopg.Connection]:
    """An autocommit owner connection to the module's source database (to change source data)."""
    with psycopg.connect(el_settings.source_admin_url, autocommit=True) as conn:
        yield conn


@pytest.fixture(scope="module")
def first_sync(el_settings: Settings, owner: psycopg.Connection) -> dict[str, SyncResult]:
    """The hand-written source rows (tests/el/minisource.py), synced once into the module's raw dataset."""
    m.populate(owner)
    return m.by_stream(sync(el_settings))
