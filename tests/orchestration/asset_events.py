"""Read Airflow's asset events straight from its metadata database (no API server needed)."""

from __future__ import annotations

import psycopg

from marketplace_elt.settings import Settings


def asset_uris_emitted_by(settings: Settings, source_run_id: str) -> list[str]:
    """URIs of the asset events a run of any DAG produced, sorted."""
    with psycopg.connect(settings.airflow_db_url.replace("+psycopg2", "")) as conn:
        rows = conn.execute(
            "SELECT a.uri FROM asset_event e JOIN asset a ON a.id = e.asset_id WHERE e.source_run_id = %s",
            (source_run_id,),
        ).fetchall()
    return sorted(str(r[0]) for r in rows)
