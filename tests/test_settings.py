from __future__ import annotations

import json
import stat
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from marketplace_elt.errors import ConfigError
from marketplace_elt.settings import Settings


def test_defaults_target_the_embedded_services(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("SOURCE_PG_PORT", "BQ_EMULATOR_PORT", "SOURCE_DB_URL", "BQ_USE_EMULATOR", "EL_BACKEND", "LANDING_DIR"):
        monkeypatch.delenv(var, raising=False)
    s = Settings.from_env()
    assert s.source_pg_port == 55432
    assert s.bq_emulator_url == "http://127.0.0.1:9050"
    assert s.source_db_url.startswith("postgresql://marketplace_replicator:")
    assert s.source_db_url.endswith("@127.0.0.1:55432/marketplace")
    assert (s.raw_dataset, s.staging_dataset, s.marts_dataset) == ("raw", "staging", "marts")
    assert s.el_backend == "embedded"
    assert s.landing_dir == s.home / "landing"


def test_env_overrides_and_derived_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_PG_PORT", "6000")
    monkeypatch.delenv("SOURCE_DB_URL", raising=False)
    monkeypatch.setenv("BQ_USE_EMULATOR", "false")
    monkeypatch.setenv("EL_BACKEND", "airbyte")
    s = Settings.from_env()
    assert ":6000/marketplace" in s.source_db_url
    assert s.bq_emulator_url is None
    assert s.el_backend == "airbyte"


def test_describe_hides_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DB_URL", "postgresql://reader:s3cr3t-value@db.internal:5432/shop")
    rows = {env: value for env, value, _ in Settings.from_env().describe()}
    assert rows["SOURCE_DB_URL"] == "postgresql://reader:***@db.internal:5432/shop"
    assert all("s3cr3t-value" not in value for value in rows.values())


def test_describe_hides_the_pii_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PII_HASH_SECRET", "salt-from-the-vault")
    rows = {env: value for env, value, _ in Settings.from_env().describe()}
    assert rows["PII_HASH_SECRET"] == "***"
    assert all("salt-from-the-vault" not in value for value in rows.values())


# --- every setting is validated up front, in one line naming the variable and a valid example ---

BAD_SETTINGS = [
    ("SOURCE_PG_PORT", "five", "is not a whole number"),
    ("BQ_USE_EMULATOR", "maybe", "is not a boolean"),
    ("EL_BACKEND", "fivetran", "is not supported"),
    ("COSMOS_EXECUTION_MODE", "virtualenv", "is not supported"),
    ("PIPELINE_SCHEDULE", "every tuesday", "neither a cron expression nor an Airflow preset"),
    ("PIPELINE_SCHEDULE", "61 * * * *", "neither a cron expression nor an Airflow preset"),
    ("PIPELINE_SCHEDULE", "@fortnightly", "neither a cron expression nor an Airflow preset"),
    ("ALERT_WEBHOOK_URL", "not a url", "is not an http(s) URL with a host"),
    ("ALERT_WEBHOOK_URL", "ftp://hooks.example.com/x", "is not an http(s) URL with a host"),
    ("OPENLINEAGE_TRANSPORT", "marquez", "is not file, console, off or a transport JSON"),
    ("OPENLINEAGE_TRANSPORT", '{"url": "http://marquez:5000"}', "is not file, console, off or a transport JSON"),
    ("AIRBYTE_API_URL", "localhost:8000", "is not an http(s) URL with a host"),
    ("SOURCE_DB_URL", "postgresql://reader:" + "pw@db.internal:port/shop", "is not a PostgreSQL URL"),
    ("SOURCE_DB_URL", "mysql://reader@db.internal/shop", "is not a PostgreSQL URL"),
    ("SOURCE_DB_URL", "postgresql://reader@db.internal", "is not a PostgreSQL URL with a host and a database"),
    ("SOURCE_ADMIN_DB_URL", "postgresql:///marketplace", "is not a PostgreSQL URL with a host"),
    ("AIRFLOW_DB_URL", "airflow-db", "is not a database URL"),
    ("AIRFLOW_DB_URL", "sqlite:///relative.db", "is not a database URL"),
    ("SOURCE_PG_PORT", "0", "is outside 1..65535"),
    ("BQ_EMULATOR_PORT", "70000", "is outside 1..65535"),
    ("BQ_EMULATOR_GRPC_PORT", "-1", "is outside 1..65535"),
    ("AIRFLOW_PORT", "http", "is not a whole number"),
    ("DBT_THREADS", "0", "is outside 1..64"),
    ("PIPELINE_DEADLINE_MINUTES", "-5", "is outside 0..10080"),
    ("BQ_EMULATOR_HOST", "http://127.0.0.1:9050", "is not a host name"),
    ("BQ_RAW_DATASET", "raw-data", "is not a BigQuery dataset name"),
    ("SOURCE_TIMEZONE", "Mars/Olympus", "is not an IANA time zone"),
    ("MELT_EMBEDDED_POSTGRES", "sometimes", "is not a boolean"),
    ("MELT_HOME", "/etc/hostname", "is a file, not a directory"),
    ("BQ_CREDENTIALS_FILE", "/nonexistent/key.json", "is not a readable file"),
    ("LANDING_DIR", "gs://provider-drops/landing", "is a GCS bucket; reading the landing zone from object storage"),
    ("LANDING_DIR", "s3://provider-drops/landing", "is a URL (s3://); reading the landing zone"),
    ("LANDING_DIR", "/etc/hostname", "is a file, not a directory"),
]


@pytest.mark.parametrize(("var", "value", "fragment"), BAD_SETTINGS)
def test_every_bad_setting_is_refused_in_one_line_with_an_example(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, fragment: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as err:
        Settings.from_env()
    message = str(err.value)
    assert message.startswith(f"{var}="), message
    assert fragment in message
    assert "set it to" in message and "\n" not in message
    assert "pw@" not in message, "a password in the value must not be echoed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("@daily", "@daily"),
        ("@once", "@once"),
        ("0 6 * * 1-5", "0 6 * * 1-5"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("None", None),
        ("none", None),
    ],
)
def test_schedules_airflow_accepts_are_accepted(monkeypatch: pytest.MonkeyPatch, value: str, expected: object) -> None:
    monkeypatch.setenv("PIPELINE_SCHEDULE", value)
    assert Settings.from_env().schedule == expected


def test_schedule_presets_are_airflows_own() -> None:
    from airflow.utils.dates import cron_presets

    from marketplace_elt.settings import SCHEDULE_PRESETS

    assert set(SCHEDULE_PRESETS) == set(cron_presets) | {"@once", "@continuous"}


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("ALERT_WEBHOOK_URL", "https://hooks.example.com/services/x"),
        ("ALERT_WEBHOOK_URL", ""),
        ("AIRFLOW_DB_URL", "sqlite:////var/lib/airflow/airflow.db"),
        ("AIRFLOW_DB_URL", "postgresql+psycopg2://airflow@db.internal:5432/airflow"),
        ("SOURCE_DB_URL", "postgresql://reader@/shop?host=/var/run/postgresql"),
        ("PIPELINE_DEADLINE_MINUTES", "0"),
        ("OPENLINEAGE_TRANSPORT", "off"),
        ("OPENLINEAGE_TRANSPORT", '{"type": "http", "url": "http://marquez:5000"}'),
        ("LANDING_DIR", "/var/lib/marketplace-elt/landing-not-created-yet"),
    ],
)
def test_valid_values_pass(monkeypatch: pytest.MonkeyPatch, var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    Settings.from_env()


def test_each_setting_is_declared_once_with_its_default_doc_and_parser() -> None:
    from dataclasses import fields

    names = [f.metadata["env"] for f in fields(Settings)]
    assert len(names) == len(set(names))
    for f in fields(Settings):
        assert {"env", "default", "doc", "parse"} <= set(f.metadata), f.name


# --- generated local passwords ---


def _fresh_settings(monkeypatch: pytest.MonkeyPatch, home: Path) -> Settings:
    monkeypatch.setenv("MELT_HOME", str(home))
    for var in ("SOURCE_DB_URL", "SOURCE_ADMIN_DB_URL", "AIRFLOW_DB_URL", "PII_HASH_SECRET"):
        monkeypatch.delenv(var, raising=False)
    return Settings.from_env()


def test_local_passwords_are_generated_per_home_and_kept_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    first = _fresh_settings(monkeypatch, tmp_path / "a")
    again = _fresh_settings(monkeypatch, tmp_path / "a")
    other = _fresh_settings(monkeypatch, tmp_path / "b")

    stored = json.loads((tmp_path / "a" / "secrets.json").read_text())
    assert set(stored) == {"marketplace_owner", "marketplace_replicator", "airflow", "pii_hash_salt"}
    assert len(set(stored.values())) == 4 and all(len(p) >= 24 for p in stored.values())
    for home in ("a", "b"):
        assert stat.S_IMODE((tmp_path / home / "secrets.json").stat().st_mode) == 0o600
    assert urlsplit(first.source_admin_url).password == stored["marketplace_owner"]
    assert urlsplit(first.source_db_url).password == stored["marketplace_replicator"]
    assert urlsplit(first.airflow_db_url).password == stored["airflow"]
    assert (again.source_db_url, again.airflow_db_url) == (first.source_db_url, first.airflow_db_url)
    assert first.pii_hash_secret == again.pii_hash_secret == stored["pii_hash_salt"] != other.pii_hash_secret
    for url in ("source_admin_url", "source_db_url", "airflow_db_url"):
        assert urlsplit(getattr(other, url)).password != urlsplit(getattr(first, url)).password


def test_no_password_literal_left_in_the_code() -> None:
    from marketplace_elt import settings as module

    source = Path(module.__file__).read_text()
    assert "_local@" not in source and '_local"' not in source


def test_urls_set_explicitly_need_no_generated_password(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MELT_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("SOURCE_ADMIN_DB_URL", "postgresql://owner@db.internal/shop")
    monkeypatch.setenv("SOURCE_DB_URL", "postgresql://reader@db.internal/shop")
    monkeypatch.setenv("AIRFLOW_DB_URL", "postgresql://airflow@db.internal/airflow")
    monkeypatch.setenv("PII_HASH_SECRET", "a-salt-from-the-secret-store")
    Settings.from_env()
    assert not (tmp_path / "state").exists(), "reading settings must not write a home it does not need"


def test_a_corrupt_passwords_file_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text("{not json")
    with pytest.raises(ConfigError) as err:
        _fresh_settings(monkeypatch, tmp_path)
    assert "secrets.json" in str(err.value) and "services up" in str(err.value) and "\n" not in str(err.value)
