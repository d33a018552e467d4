"""Embedded services: the source PostgreSQL and the BigQuery emulator, started for real."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable

from marketplace_elt.bigquery import ensure_datasets
from marketplace_elt.errors import ServiceError
from marketplace_elt.services.bq_emulator import BigQueryEmulator
from marketplace_elt.services.postgres import EmbeddedPostgres
from marketplace_elt.services.process import port_in_use
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)


def _check_ports(settings: Settings) -> None:
    """Refuse, before starting anything, a port that another process holds (one line: which, and the fix)."""
    taken: list[tuple[int, str]] = []
    if settings.embedded_postgres and not EmbeddedPostgres(settings).status().running:
        taken += [(settings.source_pg_port, "SOURCE_PG_PORT")]
    if settings.bq_emulator_is_local and not BigQueryEmulator(settings).status().running:
        taken += [
            (settings.bq_emulator_port, "BQ_EMULATOR_PORT"),
            (settings.bq_emulator_grpc_port, "BQ_EMULATOR_GRPC_PORT"),
        ]
    for port, variable in taken:
        if port_in_use(port):
            raise ServiceError(
                f"port {port} is already taken by another process; "
                f"set {variable} to a free port (or stop that process); nothing was started"
            )


def up(settings: Settings) -> None:
    """Start whatever the settings say is embedded, then create the BigQuery datasets. Idempotent.

    If a step fails, what this call started is stopped again (services already running stay up).
    """
    _check_ports(settings)
    started: list[tuple[str, Callable[[], None]]] = []
    try:
        if settings.embedded_postgres:
            pg = EmbeddedPostgres(settings)
            if not pg.status().running:
                started.append(("PostgreSQL", pg.stop))
            pg.start()
        if settings.bq_emulator_is_local:
            bq = BigQueryEmulator(settings)
            if not bq.status().healthy:
                started.append(("BigQuery emulator", bq.stop))
            bq.start()
        ensure_datasets(settings)
    except BaseException:
        for name, stop in reversed(started):
            log.info("stopping %s again: `services up` failed", name)
            with contextlib.suppress(Exception):
                stop()
        raise


def down(settings: Settings) -> None:
    """Stop the embedded services; their data stays on disk for the next `up`."""
    if settings.bq_emulator_is_local:
        BigQueryEmulator(settings).stop()
    if settings.embedded_postgres:
        EmbeddedPostgres(settings).stop()
