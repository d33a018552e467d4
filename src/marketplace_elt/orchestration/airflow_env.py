"""Environment for every local Airflow process: config, auth, and the connections the DAG uses.

Connections are derived from Settings and passed as AIRFLOW_CONN_* variables, so nobody types them
in the UI and they can never drift from the settings the CLI uses.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from urllib.parse import urlsplit

from marketplace_elt.orchestration.lineage import transport_config
from marketplace_elt.settings import PROJECT_ROOT, Settings

ADMIN_USER = "admin"


def _private_file(path: Path, make: str) -> str:
    """Read a generated secret kept under MELT_HOME (mode 600), creating it on first use."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make)
        path.chmod(0o600)
    return path.read_text().strip()


def admin_password(settings: Settings) -> str:
    """The UI password of `admin`, generated once per MELT_HOME and pre-seeded for the auth manager."""
    home = settings.airflow_home
    password = _private_file(home / "admin_password", secrets.token_urlsafe(12))
    passwords_file = home / "simple_auth_manager_passwords.json.generated"
    passwords_file.write_text(json.dumps({ADMIN_USER: password}))
    passwords_file.chmod(0o600)
    return password


def connections(settings: Settings) -> dict[str, str]:
    src = urlsplit(settings.source_db_url)
    conns: dict[str, dict[str, object]] = {
        "marketplace_source": {
            "conn_type": "postgres",
            "host": src.hostname or "127.0.0.1",
            "port": src.port or 5432,
            "login": src.username or "",
            "password": src.password or "",
            "schema": src.path.lstrip("/"),
        },
        "marketplace_bigquery": {
            "conn_type": "generic",
            "host": settings.bq_emulator_url or "https://bigquery.googleapis.com",
            "extra": {"project": settings.bq_project, "location": settings.bq_location},
        },
        "airbyte_default": {
            "conn_type": "airbyte",
            "host": settings.airbyte_api_url,
            "login": settings.airbyte_client_id,
            "password": settings.airbyte_client_secret,
        },
    }
    if settings.alert_webhook_url:
        conns[settings.alert_conn_id] = {"conn_type": "http", "host": settings.alert_webhook_url}
    return {f"AIRFLOW_CONN_{name.upper()}": json.dumps(spec) for name, spec in conns.items()}


def airflow_env(settings: Settings) -> dict[str, str]:
    home = settings.airflow_home
    home.mkdir(parents=True, exist_ok=True)
    jwt_secret = _private_file(home / "jwt_secret", secrets.token_urlsafe(64))
    base_url = f"http://127.0.0.1:{settings.airflow_port}"
    env = {
        "AIRFLOW_HOME": str(home),
        "MELT_HOME": str(settings.home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "airflow" / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "airflow" / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
        "AIRFLOW__CORE__PARALLELISM": "8",
        "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "60",
        "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
        "AIRFLOW__CORE__AUTH_MANAGER": (
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
        ),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "simple_auth_manager_passwords.json.generated"),
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{base_url}/execution/",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": settings.airflow_db_url,
        "AIRFLOW__API_AUTH__JWT_SECRET": jwt_secret,
        "AIRFLOW__API__SECRET_KEY": jwt_secret[:32],
        "AIRFLOW__API__PORT": str(settings.airflow_port),
        "AIRFLOW__API__HOST": "127.0.0.1",
        "AIRFLOW__API__BASE_URL": base_url,
        "AIRFLOW__API__WORKERS": "1",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "30",
        "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
        # Task processes fork from LocalExecutor workers, which fork from a forkserver that has
        # loaded what every task of the DAG needs (see orchestration/task_preload.py).
        "AIRFLOW__SCHEDULER__MP_START_METHOD": "forkserver",
        "AIRFLOW__SCHEDULER__MP_FORKSERVER_PRELOAD": "marketplace_elt.orchestration.task_preload",
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(settings.logs_dir / "airflow"),
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__COSMOS__CACHE_DIR": str(home / "cosmos_cache"),
        "AIRFLOW__COSMOS__PROPAGATE_LOGS": "False",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "SCARF_ANALYTICS": "false",
        "DO_NOT_TRACK": "1",
    }
    admin_password(settings)
    env.update(transport_config(settings))
    env.update(connections(settings))
    return env
