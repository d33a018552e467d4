"""BigQuery client for the configured target: the local emulator or real BigQuery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marketplace_elt.settings import Settings

if TYPE_CHECKING:
    from google.cloud import bigquery


def client(settings: Settings) -> bigquery.Client:
    """A client for ``settings.bq_project``; anonymous against the emulator, ADC against GCP."""
    from google.cloud import bigquery

    if settings.bq_emulator_url:
        from google.api_core.client_options import ClientOptions
        from google.auth.credentials import AnonymousCredentials

        return bigquery.Client(
            project=settings.bq_project,
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=settings.bq_emulator_url),
            location=settings.bq_location,
        )
    return bigquery.Client(project=settings.bq_project, location=settings.bq_location)


def ensure_datasets(settings: Settings, bq: bigquery.Client | None = None) -> list[str]:
    """Create the raw, staging and marts datasets if missing; returns their ids."""
    from google.cloud import bigquery as bqlib

    bq = bq or client(settings)
    ids = [settings.raw_dataset, settings.staging_dataset, settings.marts_dataset]
    for dataset_id in ids:
        ds = bqlib.Dataset(f"{settings.bq_project}.{dataset_id}")
        ds.location = settings.bq_location
        bq.create_dataset(ds, exists_ok=True)
    return ids


def query_rows(settings: Settings, sql: str, bq: bigquery.Client | None = None) -> list[dict[str, Any]]:
    """Run ``sql`` and return its rows as dicts (small results only: gates, summaries, tests)."""
    bq = bq or client(settings)
    return [dict(row.items()) for row in bq.query(sql).result()]
