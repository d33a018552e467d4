"""No personal data in the marts: after one full pipeline run, no STRING value in any mart table looks
like an email address, and dim_users carries no raw email column."""

from __future__ import annotations

import hashlib
import re

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


def test_email_hash_is_salted_with_the_deployment_secret(pipeline_run: RunSummary, settings: Settings) -> None:
    """email_sha256 is SHA-256 of the secret followed by the trimmed, lower-cased email: a reader who
    hashes a list of known emails without the secret matches none of them."""
    _require_success(pipeline_run)
    assert settings.pii_hash_secret, "the settings generate a salt when PII_HASH_SECRET is unset"
    rows = query_rows(
        settings,
        f"SELECT s.email, d.email_sha256 "
        f"FROM `{settings.bq_project}.{settings.marts_dataset}.dim_users` AS d "
        f"JOIN `{settings.bq_project}.{settings.staging_dataset}.stg_marketplace__users` AS s USING (user_id) "
        f"WHERE s.email IS NOT NULL LIMIT 50",
    )
    assert rows, "no user with an email reached dim_users"
    for row in rows:
        normalised = str(row["email"]).strip().lower()
        salted = hashlib.sha256((settings.pii_hash_secret + normalised).encode()).hexdigest()
        unsalted = hashlib.sha256(normalised.encode()).hexdigest()
        assert row["email_sha256"] == salted, _masked(row["email"])
        assert row["email_sha256"] != unsalted
