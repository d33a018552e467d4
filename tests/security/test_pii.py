"""No personal data beyond raw: after one full pipeline run, no STRING value in any mart table looks
like an email address, dim_users carries no raw email column, staging exposes PII only as hashes, and
the hashes are salted with the deployment's secret."""

from __future__ import annotations

import hashlib
import re

import psycopg

from marketplace_elt.bigquery import client, query_rows
from marketplace_elt.pipeline.run import RunSummary
from marketplace_elt.settings import Settings

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"


def _masked(value: object) -> str:
    """An example for the failure message without repeating the personal data itself."""
    local, _, domain = str(value).partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def _string_columns(settings: Settings) -> dict[str, list[str]]:
    rows = query_rows(
        settings,
        f"SELECT table_name, column_name, data_type "
        f"FROM `{settings.bq_project}.{settings.marts_dataset}.INFORMATION_SCHEMA.COLUMNS`",
    )
    columns: dict[str, list[str]] = {}
    for row in rows:
        if str(row["data_type"]).upper() == "STRING":
            columns.setdefault(str(row["table_name"]), []).append(str(row["column_name"]))
    return columns


def _require_success(run: RunSummary) -> None:
    # A failed run leaves the marts partly built (or stale): the check below would prove nothing.
    assert run.state == "success", f"pipeline run {run.run_id} {run.state}; fix it before judging the marts"


def test_no_email_address_in_any_mart(pipeline_run: RunSummary, settings: Settings) -> None:
    _require_success(pipeline_run)
    dataset = f"{settings.bq_project}.{settings.marts_dataset}"
    tables = [t.table_id for t in client(settings).list_tables(dataset)]
    assert tables, "the pipeline run built no mart"
    string_columns = _string_columns(settings)
    leaks = []
    for table in tables:
        for column in string_columns.get(table, []):
            rows = query_rows(
                settings,
                f"SELECT COUNT(*) AS n, ANY_VALUE(`{column}`) AS example "
                f"FROM `{settings.bq_project}.{settings.marts_dataset}.{table}` "
                f"WHERE REGEXP_CONTAINS(`{column}`, r'{EMAIL}')",
            )
            if rows and int(rows[0]["n"]) > 0:
                leaks.append(f"{table}.{column}: {rows[0]['n']} values like {_masked(rows[0]['example'])}")
    assert not leaks, "email addresses in the marts:\n" + "\n".join(leaks)


def test_dim_users_has_no_raw_email_column(pipeline_run: RunSummary, settings: Settings) -> None:
    _require_success(pipeline_run)
    rows = query_rows(
        settings,
        f"SELECT column_name "
        f"FROM `{settings.bq_project}.{settings.marts_dataset}.INFORMATION_SCHEMA.COLUMNS` "
        f"WHERE table_name = 'dim_users'",
    )
    columns = {str(r["column_name"]).lower() for r in rows}
    assert columns, "dim_users was not built"
    assert "email" not in columns
    assert not [c for c in columns if re.fullmatch(r"(raw_|user_|contact_)?email(_address)?", c)]


PII_COLUMNS = ("email", "username", "first_name", "last_name")
PLACEHOLDERS = ("", "n/a", "null", "none")  # what staging's null_if_sentinel turns into NULL


def test_staging_exposes_no_clear_pii(pipeline_run: RunSummary, settings: Settings) -> None:
    _require_success(pipeline_run)
    (row,) = query_rows(
        settings, f"SELECT * FROM `{settings.bq_project}.{settings.staging_dataset}.stg_marketplace__users` LIMIT 1"
    )
    assert not [c for c in PII_COLUMNS if c in row], sorted(row)
    assert {f"{c}_sha256" for c in PII_COLUMNS} <= set(row)


def test_email_hash_is_salted_with_the_deployment_secret(pipeline_run: RunSummary, settings: Settings) -> None:
    """email_sha256 is SHA-256 of the secret followed by the source's trimmed, lower-cased email: a
    reader who hashes a list of known emails without the secret matches none of them."""
    _require_success(pipeline_run)
    assert settings.pii_hash_secret, "the settings generate a salt when PII_HASH_SECRET is unset"
    with psycopg.connect(settings.source_admin_url) as conn:
        source = {str(user_id): email for user_id, email in conn.execute("SELECT id, email FROM users")}
    rows = query_rows(
        settings, f"SELECT user_id, email_sha256 FROM `{settings.bq_project}.{settings.marts_dataset}.dim_users`"
    )
    assert len(rows) == len(source)
    checked = 0
    for row in rows:
        email = source[str(row["user_id"])]
        normalised = None if email is None else email.strip().lower()
        if normalised is None or normalised in PLACEHOLDERS:
            assert row["email_sha256"] is None, row["user_id"]
            continue
        salted = hashlib.sha256((settings.pii_hash_secret + normalised).encode()).hexdigest()
        assert row["email_sha256"] == salted, _masked(email)
        assert row["email_sha256"] != hashlib.sha256(normalised.encode()).hexdigest()
        checked += 1
    assert checked > len(rows) / 2, "most users have an email"
