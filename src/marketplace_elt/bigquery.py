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


def require_reachable(settings: Settings, bq: bigquery.Client, create_dataset: str | None = None) -> None:
    """Fail in one line within ~10 s when BigQuery (or the emulator) does not answer.

    Without this the client retries for its 10-minute deadline. The probe lists one dataset (it
    changes nothing); with ``create_dataset`` it creates that dataset if it is missing instead, for
    callers that need it anyway.
    """
    from google.cloud import bigquery as bqlib

    from marketplace_elt.errors import ServiceError

    retry = bqlib.DEFAULT_RETRY.with_timeout(10)
    try:
        if create_dataset:
            target = bqlib.Dataset(f"{settings.bq_project}.{create_dataset}")
            target.location = settings.bq_location
            bq.create_dataset(target, exists_ok=True, retry=retry, timeout=10)
        else:
            list(bq.list_datasets(max_results=1, retry=retry, timeout=10))
    except Exception as exc:
        where = settings.bq_emulator_url or f"project {settings.bq_project}"
        reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
        raise ServiceError(
            f"BigQuery at {where} is not reachable ({reason}); "
            "start the emulator with `marketplace-elt services up` or check the BQ_* settings"
        ) from None
