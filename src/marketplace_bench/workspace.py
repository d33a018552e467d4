"""A private corner of the configured services for the benchmarks and the fault drills.

Benchmarks reseed the source at their own scale and drills alter it (kill syncs, drop columns,
replay payments), so neither may touch the data a developer works with. A workspace named ``bench``
uses its own source database ``marketplace_bench`` (same PostgreSQL server, same owner and
read-only roles) and its own datasets ``raw_bench``, ``staging_bench`` and ``marts_bench`` on the
same BigQuery (emulator). Everything else (ports, MELT_HOME, Airflow's metadata DB) is shared.

The workspace is expressed as environment overrides, applied to ``os.environ`` by :meth:`activate`,
so every process started afterwards (the CLI, dbt, ``airflow dags test``) sees the same settings as
the code running here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,30}$")


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


@dataclass(frozen=True)
class Workspace:
    """Isolated source database + datasets named after ``name`` on the services of ``base``."""

    name: str
    base: Settings

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ConfigError(f"workspace name {self.name!r} must be a short lower-case identifier, e.g. 'bench'")
        if not self.base.embedded_postgres:
            raise ConfigError(
                "benchmarks and drills create their own source database on the embedded PostgreSQL; "
                "set MELT_EMBEDDED_POSTGRES=true (they never run against an external source)"
            )

    @property
    def database(self) -> str:
        return f"{self.base.source_db_name}_{self.name}"

    def env(self) -> dict[str, str]:
        """Environment variables that point every component at this workspace."""
        return {
            "SOURCE_ADMIN_DB_URL": _with_database(self.base.source_admin_url, self.database),
            "SOURCE_DB_URL": _with_database(self.base.source_db_url, self.database),
            "BQ_RAW_DATASET": f"{self.base.raw_dataset}_{self.name}",
            "BQ_STAGING_DATASET": f"{self.base.staging_dataset}_{self.name}",
            "BQ_MARTS_DATASET": f"{self.base.marts_dataset}_{self.name}",
        }

    @property
    def settings(self) -> Settings:
        env = self.env()
        return dataclasses.replace(
            self.base,
            source_admin_url=env["SOURCE_ADMIN_DB_URL"],
            source_db_url=env["SOURCE_DB_URL"],
            raw_dataset=env["BQ_RAW_DATASET"],
            staging_dataset=env["BQ_STAGING_DATASET"],
            marts_dataset=env["BQ_MARTS_DATASET"],
        )

    def activate(self) -> Settings:
        """Export the workspace to ``os.environ`` (for child processes) and return its settings."""
        os.environ.update(self.env())
        return self.settings

    @contextlib.contextmanager
    def activated(self) -> Iterator[Settings]:
        """:meth:`activate` for the duration of a ``with`` block; the previous environment comes back."""
        saved = {key: os.environ.get(key) for key in self.env()}
        try:
            yield self.activate()
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

    def create(self, fresh: bool = True) -> Settings:
        """Start the services, then create (``fresh``: drop and recreate) the database and datasets."""
        from marketplace_elt import services
        from marketplace_sim import init

        services.up(self.base)
        settings = self.settings
        if fresh:
            self.drop()
        self._create_database()
        init(settings)
        reset_datasets(settings, settings.raw_dataset, settings.staging_dataset, *settings.marts_datasets)
        log.info("workspace %s: database %s, datasets %s", self.name, self.database, settings.raw_dataset)
        return settings

    def _create_database(self) -> None:
        from marketplace_elt.services.postgres import EmbeddedPostgres

        pg = EmbeddedPostgres(self.base)
        pg.ensure_database(self.settings.source_admin_url)

    def drop(self) -> None:
        """Remove the workspace's database and datasets (the services keep running)."""
        import psycopg
        from psycopg import sql

        from marketplace_elt.bigquery import client
        from marketplace_elt.services.postgres import EmbeddedPostgres

        settings = self.settings
        bq = client(settings)
        for dataset in (settings.raw_dataset, settings.staging_dataset, *settings.marts_datasets):
            bq.delete_dataset(f"{settings.bq_project}.{dataset}", delete_contents=True, not_found_ok=True)
        with psycopg.connect(EmbeddedPostgres(self.base).superuser_conninfo(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.database)))


def reset_datasets(settings: Settings, *datasets: str) -> None:
    """Drop the named datasets with their tables and create them empty again."""
    from google.cloud import bigquery as bqlib

    from marketplace_elt.bigquery import client

    bq = client(settings)
    for dataset in datasets:
        bq.delete_dataset(f"{settings.bq_project}.{dataset}", delete_contents=True, not_found_ok=True)
        ds = bqlib.Dataset(f"{settings.bq_project}.{dataset}")
        ds.location = settings.bq_location
        bq.create_dataset(ds, exists_ok=True)
