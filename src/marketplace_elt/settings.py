"""The one settings object: every command, the DAG and the dbt profile read configuration from here.

Values come from environment variables (names below, with their defaults), so the same code runs on
embedded services, in docker-compose and in production by changing the environment only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Literal, cast
from urllib.parse import urlsplit

from marketplace_elt.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

ElBackend = Literal["embedded", "airbyte"]


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value is None or value == "" else value


def _env_int(name: str, default: int) -> int:
    raw = _env(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number; set it to e.g. {default}") from None


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name, "true" if default else "false").strip().lower()
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean; set it to true or false")


@dataclass(frozen=True)
class Settings:
    """Configuration of one deployment. Build it with :meth:`from_env`."""

    # --- where local state lives (embedded databases, Airflow home, logs, sync files) ---
    home: Path = field(metadata={"env": "MELT_HOME", "doc": "state directory"})

    # --- source PostgreSQL ---
    embedded_postgres: bool = field(
        metadata={"env": "MELT_EMBEDDED_POSTGRES", "doc": "start a private PostgreSQL for the source"}
    )
    source_pg_port: int = field(metadata={"env": "SOURCE_PG_PORT", "doc": "port of the embedded source"})
    source_admin_url: str = field(
        metadata={"env": "SOURCE_ADMIN_DB_URL", "doc": "owner URL, used only by `source` commands"}
    )
    source_db_url: str = field(metadata={"env": "SOURCE_DB_URL", "doc": "read-only URL that extract-load reads from"})
    source_timezone: str = field(
        metadata={"env": "SOURCE_TIMEZONE", "doc": "zone of naive timestamps (orders.confirmed_at)"}
    )

    # --- BigQuery (real, or the local emulator) ---
    bq_project: str = field(metadata={"env": "BQ_PROJECT", "doc": "GCP project id"})
    bq_location: str = field(metadata={"env": "BQ_LOCATION", "doc": "dataset location"})
    bq_emulator: bool = field(
        metadata={"env": "BQ_USE_EMULATOR", "doc": "use the local BigQuery emulator instead of GCP"}
    )
    bq_emulator_host: str = field(
        metadata={"env": "BQ_EMULATOR_HOST", "doc": "emulator host (another host = not started locally)"}
    )
    bq_emulator_port: int = field(metadata={"env": "BQ_EMULATOR_PORT", "doc": "emulator REST port"})
    bq_emulator_grpc_port: int = field(metadata={"env": "BQ_EMULATOR_GRPC_PORT", "doc": "emulator gRPC port"})
    raw_dataset: str = field(metadata={"env": "BQ_RAW_DATASET", "doc": "dataset EL writes"})
    staging_dataset: str = field(
        metadata={"env": "BQ_STAGING_DATASET", "doc": "dataset of staging + intermediate models"}
    )
    marts_dataset: str = field(metadata={"env": "BQ_MARTS_DATASET", "doc": "dataset of the marts"})

    # --- extract-load ---
    el_backend: ElBackend = field(metadata={"env": "EL_BACKEND", "doc": "embedded or airbyte"})
    airbyte_api_url: str = field(metadata={"env": "AIRBYTE_API_URL", "doc": "Airbyte public API base URL"})
    airbyte_connection_id: str = field(
        metadata={"env": "AIRBYTE_CONNECTION_ID", "doc": "Airbyte connection to trigger"}
    )
    airbyte_client_id: str = field(metadata={"env": "AIRBYTE_CLIENT_ID", "doc": "Airbyte API client id"})
    airbyte_client_secret: str = field(metadata={"env": "AIRBYTE_CLIENT_SECRET", "doc": "Airbyte API client secret"})
    airbyte_workspace_id: str = field(
        metadata={"env": "AIRBYTE_WORKSPACE_ID", "doc": "Airbyte workspace for `el airbyte apply`"}
    )
    bq_credentials_file: str = field(
        metadata={"env": "BQ_CREDENTIALS_FILE", "doc": "service-account JSON for Airbyte's destination"}
    )

    # --- orchestration ---
    schedule: str = field(metadata={"env": "PIPELINE_SCHEDULE", "doc": "@hourly, @daily or cron"})
    airflow_port: int = field(metadata={"env": "AIRFLOW_PORT", "doc": "Airflow UI/API port"})
    airflow_db_url: str = field(
        metadata={"env": "AIRFLOW_DB_URL", "doc": "Airflow metadata DB (default: embedded PostgreSQL)"}
    )
    cosmos_execution_mode: str = field(
        metadata={"env": "COSMOS_EXECUTION_MODE", "doc": "local (one task per dbt node) or watcher"}
    )
    dbt_threads: int = field(metadata={"env": "DBT_THREADS", "doc": "dbt threads per invocation"})
    run_deadline_minutes: int = field(
        metadata={"env": "PIPELINE_DEADLINE_MINUTES", "doc": "alert if a run is not done after this"}
    )
    alert_webhook_url: str = field(
        metadata={"env": "ALERT_WEBHOOK_URL", "doc": "Slack-compatible webhook; setup stores it in ALERT_CONN_ID"}
    )
    alert_conn_id: str = field(
        metadata={"env": "ALERT_CONN_ID", "doc": "Airflow connection holding the alert webhook URL"}
    )

    @property
    def bq_emulator_url(self) -> str | None:
        """Base URL of the emulator, or None when talking to real BigQuery."""
        return f"http://{self.bq_emulator_host}:{self.bq_emulator_port}" if self.bq_emulator else None

    @property
    def bq_emulator_is_local(self) -> bool:
        """Whether `services up` should start the emulator on this machine."""
        return self.bq_emulator and self.bq_emulator_host in ("127.0.0.1", "localhost")

    @property
    def pg_dir(self) -> Path:
        return self.home / "postgres"

    @property
    def bq_dir(self) -> Path:
        return self.home / "bq_emulator"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def dbt_dir(self) -> Path:
        return PROJECT_ROOT / "dbt"

    @property
    def dbt_target_dir(self) -> Path:
        return self.home / "dbt_target"

    @property
    def source_db_name(self) -> str:
        return urlsplit(self.source_db_url).path.lstrip("/") or "marketplace"

    @classmethod
    def from_env(cls) -> Settings:
        home = Path(_env("MELT_HOME", str(PROJECT_ROOT / ".state"))).resolve()
        port = _env_int("SOURCE_PG_PORT", 55432)
        backend = _env("EL_BACKEND", "embedded")
        if backend not in ("embedded", "airbyte"):
            raise ConfigError(f"EL_BACKEND={backend!r} is not supported; set it to 'embedded' or 'airbyte'")
        cosmos_mode = _env("COSMOS_EXECUTION_MODE", "local")
        if cosmos_mode not in ("local", "watcher"):
            raise ConfigError(f"COSMOS_EXECUTION_MODE={cosmos_mode!r} is not supported; set it to 'local' or 'watcher'")
        # Local development credentials for the embedded server only; production sets the URLs.
        owner = "marketplace_owner:marketplace_owner_local"
        replicator = "marketplace_replicator:marketplace_replicator_local"
        emulator = _env_bool("BQ_USE_EMULATOR", True)
        return cls(
            home=home,
            embedded_postgres=_env_bool("MELT_EMBEDDED_POSTGRES", True),
            source_pg_port=port,
            source_admin_url=_env("SOURCE_ADMIN_DB_URL", f"postgresql://{owner}@127.0.0.1:{port}/marketplace"),
            source_db_url=_env("SOURCE_DB_URL", f"postgresql://{replicator}@127.0.0.1:{port}/marketplace"),
            source_timezone=_env("SOURCE_TIMEZONE", "America/New_York"),
            bq_project=_env("BQ_PROJECT", "marketplace-analytics"),
            bq_location=_env("BQ_LOCATION", "US"),
            bq_emulator=emulator,
            bq_emulator_host=_env("BQ_EMULATOR_HOST", "127.0.0.1"),
            bq_emulator_port=_env_int("BQ_EMULATOR_PORT", 9050),
            bq_emulator_grpc_port=_env_int("BQ_EMULATOR_GRPC_PORT", 9060),
            raw_dataset=_env("BQ_RAW_DATASET", "raw"),
            staging_dataset=_env("BQ_STAGING_DATASET", "staging"),
            marts_dataset=_env("BQ_MARTS_DATASET", "marts"),
            el_backend=cast(ElBackend, backend),
            airbyte_api_url=_env("AIRBYTE_API_URL", "http://localhost:8000/api/public/v1"),
            airbyte_connection_id=_env("AIRBYTE_CONNECTION_ID", ""),
            airbyte_client_id=_env("AIRBYTE_CLIENT_ID", ""),
            airbyte_client_secret=_env("AIRBYTE_CLIENT_SECRET", ""),
            airbyte_workspace_id=_env("AIRBYTE_WORKSPACE_ID", ""),
            bq_credentials_file=_env("BQ_CREDENTIALS_FILE", ""),
            schedule=_env("PIPELINE_SCHEDULE", "@daily"),
            airflow_port=_env_int("AIRFLOW_PORT", 8080),
            airflow_db_url=_env(
                "AIRFLOW_DB_URL",
                f"postgresql+psycopg2://airflow:airflow_local@127.0.0.1:{port}/airflow",
            ),
            cosmos_execution_mode=cosmos_mode,
            # The emulator runs queries on the same two cores as dbt: more threads only queue there.
            dbt_threads=_env_int("DBT_THREADS", 2 if emulator else 4),
            run_deadline_minutes=_env_int("PIPELINE_DEADLINE_MINUTES", 120),
            alert_webhook_url=_env("ALERT_WEBHOOK_URL", ""),
            alert_conn_id=_env("ALERT_CONN_ID", "alert_webhook"),
        )

    def describe(self) -> list[tuple[str, str, str]]:
        """(env var, value, meaning) for every setting, passwords hidden — for `config show`."""
        rows = []
        for f in fields(self):
            value = str(getattr(self, f.name))
            parts = urlsplit(value)
            if parts.password:
                value = value.replace(f":{parts.password}@", ":***@")
            if f.name.endswith("secret") and value:
                value = "***"
            rows.append((f.metadata["env"], value, f.metadata["doc"]))
        return rows


def get_settings() -> Settings:
    return Settings.from_env()
