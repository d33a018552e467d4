"""Embedded services: the source PostgreSQL and the BigQuery emulator, started for real."""

from __future__ import annotations

import logging

from marketplace_elt.bigquery import ensure_datasets
from marketplace_elt.services.bq_emulator import BigQueryEmulator
from marketplace_elt.services.postgres import EmbeddedPostgres
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)


def up(settings: Settings) -> None:
    """Start whatever the settings say is embedded, then create the BigQuery datasets. Idempotent."""
    if settings.embedded_postgres:
        EmbeddedPostgres(settings).start()
    if settings.bq_emulator_is_local:
        BigQueryEmulator(settings).start()
    ensure_datasets(settings)


def down(settings: Settings) -> None:
    """Stop the embedded services; their data stays on disk for the next `up`."""
    if settings.bq_emulator_is_local:
        BigQueryEmulator(settings).stop()
    if settings.embedded_postgres:
        EmbeddedPostgres(settings).stop()
