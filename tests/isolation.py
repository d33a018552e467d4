"""Private source databases and BigQuery datasets for test modules that rewrite data.

The session's pipeline run owns the default source database and datasets (later tests read its
output); modules that create, truncate or replace tables get their own copies on the same servers.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from marketplace_elt.settings import Settings


def _with_db(url: str, db: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def isolated_settings(settings: Settings, name: str, prefix: str = "el", all_datasets: bool = False) -> Settings:
    """Settings on database `marketplace_<prefix>_<name>`, dataset `raw_<prefix>_<name>` (all three if asked)."""
    tag = f"{prefix}_{name}"
    extra = {"staging_dataset": f"staging_{tag}", "marts_dataset": f"marts_{tag}"} if all_datasets else {}
    return dataclasses.replace(
        settings,
        source_admin_url=_with_db(settings.source_admin_url, f"marketplace_{tag}"),
        source_db_url=_with_db(settings.source_db_url, f"marketplace_{tag}"),
        raw_dataset=f"raw_{tag}",
        **extra,
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The variables that make `Settings.from_env()` (a CLI run, a subprocess) use these settings."""
    return {
        "SOURCE_ADMIN_DB_URL": settings.source_admin_url,
        "SOURCE_DB_URL": settings.source_db_url,
        "BQ_RAW_DATASET": settings.raw_dataset,
        "BQ_STAGING_DATASET": settings.staging_dataset,
        "BQ_MARTS_DATASET": settings.marts_dataset,
    }


def env_for(settings: Settings) -> dict[str, str]:
    """Environment for a `marketplace-elt` subprocess that must use these settings."""
    return {**os.environ, **settings_env(settings)}


def _datasets(isolated: Settings, settings: Settings) -> list[str]:
    names = [isolated.raw_dataset, isolated.staging_dataset, *isolated.marts_datasets]
    shared = {settings.raw_dataset, settings.staging_dataset, *settings.marts_datasets}
    return [f"{isolated.bq_project}.{d}" for d in names if d not in shared]


def create(settings: Settings, isolated: Settings) -> None:
    """An empty database owned by the source owner role, and empty private datasets."""
    from marketplace_elt.bigquery import client
    from marketplace_elt.services.postgres import EmbeddedPostgres

    db = urlsplit(isolated.source_admin_url).path.lstrip("/")
    owner = urlsplit(isolated.source_admin_url).username or "marketplace_owner"
    with psycopg.connect(EmbeddedPostgres(settings).superuser_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(db), sql.Identifier(owner)))
    with psycopg.connect(EmbeddedPostgres(settings).superuser_conninfo(db), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
    bq = client(isolated)
    for dataset in _datasets(isolated, settings):
        bq.delete_dataset(dataset, delete_contents=True, not_found_ok=True)
        bq.create_dataset(dataset, exists_ok=True)


def drop(settings: Settings, isolated: Settings) -> None:
    from marketplace_elt.bigquery import client
    from marketplace_elt.services.postgres import EmbeddedPostgres

    for dataset in _datasets(isolated, settings):
        client(isolated).delete_dataset(dataset, delete_contents=True, not_found_ok=True)
    db = urlsplit(isolated.source_admin_url).path.lstrip("/")
    with psycopg.connect(EmbeddedPostgres(settings).superuser_conninfo(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(db)))


def workspace(settings: Settings, name: str, **changes: object) -> Iterator[Settings]:
    """A module fixture's body: a private source database (schema created) and raw/staging/marts
    datasets, with ``changes`` applied to the settings; dropped afterwards unless TEST_KEEP_SERVICES."""
    from marketplace_sim import init

    isolated = dataclasses.replace(isolated_settings(settings, name, all_datasets=True), **changes)  # type: ignore[arg-type]
    create(settings, isolated)
    init(isolated)
    yield isolated
    if not os.environ.get("TEST_KEEP_SERVICES"):
        drop(settings, isolated)
