"""The one settings object: every command, the DAG and the dbt profile read configuration from here.

Values come from environment variables (names below, with their defaults), so the same code runs on
embedded services, in docker-compose and in production by changing the environment only.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Literal
from urllib.parse import SplitResult, parse_qs, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from marketplace_elt.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parents[2]

ElBackend = Literal["embedded", "airbyte"]
DeleteCapture = Literal["reconcile", "cdc"]


# --- how each setting is read --------------------------------------------------------------------
# A parser turns the variable's text into the value, or refuses it with one line that names the
# variable and a value that would work. Defaults are text too, so they pass the same parser.
Parser = Callable[[str, str], Any]
Default = str | Callable[[Mapping[str, Any]], str]


def setting(env: str, default: Default, doc: str, parse: Parser | None = None) -> Any:
    """Declare one setting: its variable, default (text, or computed from the settings above it),
    meaning and parser. The dataclass field is the only place a setting is named."""
    return field(metadata={"env": env, "default": default, "doc": doc, "parse": parse or _text})


def _text(_: str, raw: str) -> str:
    return raw


def _masked(value: str) -> str:
    """``value`` with any URL password replaced by ***, for error messages."""
    return re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", value)


def _whole(low: int, high: int, example: int) -> Parser:
    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a whole number; set it to e.g. {example}") from None
        if not low <= value <= high:
            raise ConfigError(f"{name}={value} is outside {low}..{high}; set it to e.g. {example}")
        return value

    return parse


def _port(example: int) -> Parser:
    return _whole(1, 65535, example)


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={value!r} is not a boolean; set it to true or false")


def _choice(*allowed: str) -> Parser:
    def parse(name: str, raw: str) -> str:
        if raw not in allowed:
            options = " or ".join(repr(a) for a in allowed)
            raise ConfigError(f"{name}={raw!r} is not supported; set it to {options}")
        return raw

    return parse


def _pattern(regex: str, what: str, example: str) -> Parser:
    compiled = re.compile(regex)

    def parse(name: str, raw: str) -> str:
        if not compiled.fullmatch(raw):
            raise ConfigError(f"{name}={raw!r} is not {what}; set it to e.g. {example}")
        return raw

    return parse


def _lineage_transport(name: str, raw: str) -> str:
    """file, console, off, or an OpenLineage client transport as a JSON object with a "type"."""
    if raw in ("file", "console", "off"):
        return raw
    example = '{"type": "http", "url": "http://marquez:5000"}'
    try:
        spec = json.loads(raw)
    except ValueError:
        spec = None
    if not isinstance(spec, dict) or not isinstance(spec.get("type"), str):
        raise ConfigError(f"{name}={raw!r} is not file, console, off or a transport JSON; set it to e.g. '{example}'")
    return raw


def _url_parts(raw: str) -> SplitResult | None:
    """The URL split, or None when it is malformed (a port that is not a number, a broken IPv6 host)."""
    try:
        parts = urlsplit(raw)
        _ = parts.port
    except ValueError:
        return None
    return parts


def _postgres_url(example: str) -> Parser:
    """A libpq URL with a host (in the authority or as ?host=) and a database."""

    def parse(name: str, raw: str) -> str:
        parts = _url_parts(raw)
        ok = (
            parts is not None
            and parts.scheme in ("postgresql", "postgres")
            and bool(parts.hostname or parse_qs(parts.query).get("host"))
            and bool(parts.path.lstrip("/"))
        )
        if not ok:
            raise ConfigError(
                f"{name}={_masked(raw)!r} is not a PostgreSQL URL with a host and a database; set it to e.g. {example}"
            )
        return raw

    return parse


def _sqlalchemy_url(example: str) -> Parser:
    """Airflow's metadata DB: dialect[+driver]://user@host:port/db, or sqlite:////absolute/path."""

    def parse(name: str, raw: str) -> str:
        parts = _url_parts(raw)
        ok = parts is not None and re.fullmatch(r"[a-z][a-z0-9]*(\+[a-z0-9_]+)?", parts.scheme) is not None
        if ok and parts is not None:
            if parts.scheme.startswith("sqlite"):
                ok = parts.path.startswith("//") and len(parts.path) > 2  # Airflow needs an absolute path
            else:
                ok = bool(parts.hostname or parse_qs(parts.query).get("host")) and bool(parts.path.lstrip("/"))
        if not ok:
            raise ConfigError(
                f"{name}={_masked(raw)!r} is not a database URL with a host and a database; set it to e.g. {example}"
            )
        return raw

    return parse


def _http_url(example: str, optional: bool = False) -> Parser:
    def parse(name: str, raw: str) -> str:
        if optional and raw == "":
            return raw
        parts = _url_parts(raw)
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            unset = " (or leave it empty)" if optional else ""
            raise ConfigError(
                f"{name}={_masked(raw)!r} is not an http(s) URL with a host; set it to e.g. {example}{unset}"
            )
        return raw

    return parse


def _timezone(name: str, raw: str) -> str:
    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name}={raw!r} is not an IANA time zone; set it to e.g. UTC or America/New_York") from None
    return raw


# Airflow's schedule presets (airflow.utils.dates.cron_presets, plus the two special timetables);
# None (the text) means no schedule: runs only when triggered.
SCHEDULE_PRESETS = ("@once", "@continuous", "@hourly", "@daily", "@weekly", "@monthly", "@quarterly", "@yearly")


def _schedule(name: str, raw: str) -> str | None:
    value = raw.strip()
    if value.lower() == "none":
        return None
    if value in SCHEDULE_PRESETS:
        return value
    if len(value.split()) == 5:
        # croniter is what Airflow itself parses cron schedules with (a dependency of
        # apache-airflow-core, used by its CronMixin.validate): we accept exactly what the DAG will.
        from croniter import croniter  # type: ignore[import-untyped]

        if croniter.is_valid(value):
            return value
    raise ConfigError(
        f"{name}={raw!r} is neither a cron expression nor an Airflow preset; "
        "set it to e.g. '0 6 * * *' or @daily (also @hourly, @weekly, @once, None)"
    )


def _state_dir(name: str, raw: str) -> Path:
    """MELT_HOME: a directory that exists and is writable, or that can be created."""
    path = Path(raw).expanduser().resolve()
    fix = "set it to a directory you can write, e.g. /var/tmp/marketplace-elt"
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{name}={raw!r} is a file, not a directory; {fix}")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise ConfigError(f"{name}={raw!r} cannot be created ({probe} is a file); {fix}")
    if not os.access(probe, os.W_OK | os.X_OK):
        where = "is not writable" if probe == path else f"cannot be created ({probe} is not writable)"
        raise ConfigError(f"{name}={raw!r} {where}; {fix}")
    return path


def _landing_dir(name: str, raw: str) -> Path:
    """LANDING_DIR: a local directory (it may not exist yet). Object-store URLs are refused: the
    loader reads local files only, so a bucket is mirrored to a local folder first."""
    example = "/var/lib/marketplace-elt/landing"
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*)://", raw)
    if scheme:
        what = "a GCS bucket" if scheme.group(1).lower() == "gs" else f"a URL ({scheme.group(1)}://)"
        raise ConfigError(
            f"{name}={raw!r} is {what}; reading the landing zone from object storage is not implemented, "
            f"only local folders are: set it to e.g. {example} (mirror the bucket there with "
            "`gcloud storage rsync`)"
        )
    path = Path(raw).expanduser().resolve()
    if path.exists() and not path.is_dir():
        raise ConfigError(f"{name}={raw!r} is a file, not a directory; set it to e.g. {example}")
    return path


def _readable_file(name: str, raw: str) -> str:
    """Empty, or a file this process can read."""
    if raw and not (Path(raw).expanduser().is_file() and os.access(Path(raw).expanduser(), os.R_OK)):
        raise ConfigError(
            f"{name}={raw!r} is not a readable file; set it to e.g. /etc/marketplace-elt/bq.json (or leave it empty)"
        )
    return raw


# --- generated passwords of the embedded PostgreSQL's roles --------------------------------------
GENERATED_LOGINS_FILE = "secrets.json"
LOCAL_ROLES = ("marketplace_owner", "marketplace_replicator", "airflow")
PII_SALT_KEY = "pii_hash_salt"
GENERATED_SECRETS = (*LOCAL_ROLES, PII_SALT_KEY)  # what MELT_HOME/secrets.json holds


def local_password(home: Path, role: str) -> str:
    """The password of ``role`` on the embedded PostgreSQL, generated at first use.

    Kept in MELT_HOME/secrets.json (mode 600), so it is never a literal in code and differs per
    machine; `services up` (re)applies it to the role, so a state directory created with other
    passwords keeps working.
    """
    path = home / GENERATED_LOGINS_FILE
    try:
        stored = _read_secrets(path)
        if role not in stored:
            stored = _write_secrets(home, path, {r: secrets.token_urlsafe(24) for r in GENERATED_SECRETS} | stored)
    except PermissionError as exc:
        raise ConfigError(
            f"MELT_HOME={str(home)!r} is not writable ({exc.strerror}: {exc.filename}), so the generated local "
            "passwords cannot be kept there; set MELT_HOME to a directory you can write, e.g. /var/tmp/marketplace-elt"
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot keep the generated local passwords in {path} ({exc.strerror or exc}); "
            "set MELT_HOME to a writable directory, e.g. /var/tmp/marketplace-elt"
        ) from None
    return stored[role]


def _read_secrets(path: Path) -> dict[str, str]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    try:
        stored = json.loads(text)
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or not all(isinstance(v, str) and v for v in stored.values()):
        raise ConfigError(
            f"{path} is not the JSON object of generated passwords; delete it and run "
            "`marketplace-elt services up` (it generates new ones and applies them to the roles)"
        )
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)
    return stored


def _write_secrets(home: Path, path: Path, stored: dict[str, str]) -> dict[str, str]:
    """Write ``stored`` (mode 600, never half-written); when another process wrote the file first, use its."""
    home.mkdir(parents=True, exist_ok=True)
    fd, staged = tempfile.mkstemp(dir=home, prefix=".secrets-", suffix=".json")  # created with mode 600
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(stored, out, indent=2)
        if path.exists():
            os.replace(staged, path)  # adding a missing role to an existing file
        else:
            try:
                os.link(staged, path)  # the first process to create the file wins
            except FileExistsError:
                pass
            except OSError:  # a file system without hard links
                os.replace(staged, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staged)
    stored = _read_secrets(path)
    if not all(role in stored for role in GENERATED_SECRETS):  # a concurrent writer with an older file
        return _write_secrets(home, path, {r: secrets.token_urlsafe(24) for r in GENERATED_SECRETS} | stored)
    return stored


def _generated_salt(values: Mapping[str, Any]) -> str:
    """Default PII salt: generated at first use and kept with the local passwords (mode 600)."""
    return local_password(values["home"], PII_SALT_KEY)


def _local_url(template: str, role: str) -> Callable[[Mapping[str, Any]], str]:
    """Default URL of a role on the embedded PostgreSQL, with its generated password."""

    def default(values: Mapping[str, Any]) -> str:
        password = local_password(values["home"], role)
        return template.format(role=role, password=password, port=values["source_pg_port"])

    return default


def _dataset(example: str) -> Parser:
    return _pattern(r"[A-Za-z0-9_]{1,1024}", "a BigQuery dataset name (letters, digits, underscores)", example)


@dataclass(frozen=True)
class Settings:
    """Configuration of one deployment. Build it with :meth:`from_env`."""

    # --- where local state lives (embedded databases, Airflow home, logs, sync files) ---
    home: Path = setting("MELT_HOME", str(PROJECT_ROOT / ".state"), "state directory", _state_dir)  # noqa: RUF009

    # --- source PostgreSQL ---
    embedded_postgres: bool = setting(
        "MELT_EMBEDDED_POSTGRES", "true", "start a private PostgreSQL for the source", _bool
    )
    source_pg_port: int = setting("SOURCE_PG_PORT", "55432", "port of the embedded source", _port(55432))
    source_admin_url: str = setting(
        "SOURCE_ADMIN_DB_URL",
        _local_url("postgresql://{role}:{password}@127.0.0.1:{port}/marketplace", "marketplace_owner"),
        "owner URL, used only by `source` commands (default: embedded server, generated password)",
        _postgres_url("postgresql://marketplace_owner@db.example.com:5432/marketplace"),
    )
    source_db_url: str = setting(
        "SOURCE_DB_URL",
        _local_url("postgresql://{role}:{password}@127.0.0.1:{port}/marketplace", "marketplace_replicator"),
        "read-only URL that extract-load reads from (default: embedded server, generated password)",
        _postgres_url("postgresql://marketplace_replicator@db.example.com:5432/marketplace"),
    )
    pii_hash_secret: str = setting(
        "PII_HASH_SECRET",
        _generated_salt,
        "secret prefixed to PII before hashing in dim_users (default: generated once, kept in "
        "MELT_HOME/secrets.json); keep it stable, a new salt changes every hash",
    )
    source_timezone: str = setting(
        "SOURCE_TIMEZONE", "UTC", "zone of naive timestamps (orders.confirmed_at)", _timezone
    )

    # --- BigQuery (real, or the local emulator) ---
    bq_project: str = setting(
        "BQ_PROJECT",
        "marketplace-analytics",
        "GCP project id",
        _pattern(r"[A-Za-z0-9.:_-]+", "a GCP project id", "marketplace-analytics"),
    )
    bq_location: str = setting("BQ_LOCATION", "US", "dataset location")
    bq_emulator: bool = setting("BQ_USE_EMULATOR", "true", "use the local BigQuery emulator instead of GCP", _bool)
    bq_emulator_host: str = setting(
        "BQ_EMULATOR_HOST",
        "127.0.0.1",
        "emulator host (another host = not started locally)",
        _pattern(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", "a host name (no scheme, no port)", "127.0.0.1"),
    )
    bq_emulator_port: int = setting("BQ_EMULATOR_PORT", "9050", "emulator REST port", _port(9050))
    bq_emulator_grpc_port: int = setting("BQ_EMULATOR_GRPC_PORT", "9060", "emulator gRPC port", _port(9060))
    raw_dataset: str = setting("BQ_RAW_DATASET", "raw", "dataset EL writes", _dataset("raw"))
    staging_dataset: str = setting(
        "BQ_STAGING_DATASET", "staging", "dataset of staging + intermediate models", _dataset("staging")
    )
    marts_dataset: str = setting("BQ_MARTS_DATASET", "marts", "dataset of the marts", _dataset("marts"))

    # --- extract-load ---
    el_backend: ElBackend = setting(  # noqa: RUF009 (a field() with metadata, not a shared default)
        "EL_BACKEND", "embedded", "embedded or airbyte", _choice("embedded", "airbyte")
    )
    delete_capture: DeleteCapture = setting(  # noqa: RUF009 (a field() with metadata, not a shared default)
        "DELETE_CAPTURE",
        "reconcile",
        "how hard deletes of streams declared `deletes: hard` are seen: reconcile (key comparison after "
        "each sync) or cdc (logical replication; the source needs wal_level=logical)",
        _choice("reconcile", "cdc"),
    )
    airbyte_api_url: str = setting(
        "AIRBYTE_API_URL",
        "http://localhost:8000/api/public/v1",
        "Airbyte public API base URL",
        _http_url("http://airbyte.example.com:8000/api/public/v1"),
    )
    airbyte_connection_id: str = setting("AIRBYTE_CONNECTION_ID", "", "Airbyte connection to trigger")
    airbyte_client_id: str = setting("AIRBYTE_CLIENT_ID", "", "Airbyte API client id")
    airbyte_client_secret: str = setting("AIRBYTE_CLIENT_SECRET", "", "Airbyte API client secret")
    airbyte_workspace_id: str = setting("AIRBYTE_WORKSPACE_ID", "", "Airbyte workspace for `el airbyte apply`")
    bq_credentials_file: str = setting(
        "BQ_CREDENTIALS_FILE", "", "service-account JSON for Airbyte's destination", _readable_file
    )

    # --- payment-provider file drops (the landing zone, docs/landing-zone.md) ---
    landing_dir: Path = setting(  # noqa: RUF009 (a field() with metadata, not a shared default)
        "LANDING_DIR",
        lambda values: str(values["home"] / "landing"),
        "folder the payment provider's daily CSV files land in (`landing load` reads it); a local "
        "directory: gs:// buckets are not implemented",
        _landing_dir,
    )

    # --- orchestration ---
    schedule: str | None = setting(
        "PIPELINE_SCHEDULE", "@daily", "cron expression, or @hourly, @daily, ... @once, None", _schedule
    )
    airflow_port: int = setting("AIRFLOW_PORT", "8080", "Airflow UI/API port", _port(8080))
    airflow_db_url: str = setting(
        "AIRFLOW_DB_URL",
        _local_url("postgresql+psycopg2://{role}:{password}@127.0.0.1:{port}/airflow", "airflow"),
        "Airflow metadata DB (default: embedded PostgreSQL, generated password)",
        _sqlalchemy_url("postgresql+psycopg2://airflow@db.example.com:5432/airflow"),
    )
    cosmos_execution_mode: str = setting(
        "COSMOS_EXECUTION_MODE", "local", "local (one task per dbt node) or watcher", _choice("local", "watcher")
    )
    dbt_threads: int = setting(
        "DBT_THREADS",
        # The emulator runs queries on the same two cores as dbt: more threads only queue there.
        lambda values: "2" if values["bq_emulator"] else "4",
        "dbt threads per invocation",
        _whole(1, 64, 4),
    )
    run_deadline_minutes: int = setting(
        "PIPELINE_DEADLINE_MINUTES",
        "120",
        "alert if a run is not done after this (0: no deadline)",
        _whole(0, 10080, 120),
    )
    openlineage_transport: str = setting(
        "OPENLINEAGE_TRANSPORT",
        "file",
        "OpenLineage events: file (MELT_HOME/logs/openlineage/), console, off, or a transport as JSON",
        _lineage_transport,
    )
    alert_webhook_url: str = setting(
        "ALERT_WEBHOOK_URL",
        "",
        "Slack-compatible webhook; setup stores it in ALERT_CONN_ID",
        _http_url("https://hooks.example.com/services/marketplace-alerts", optional=True),
    )
    alert_conn_id: str = setting(
        "ALERT_CONN_ID",
        "alert_webhook",
        "Airflow connection holding the alert webhook URL",
        _pattern(r"[A-Za-z0-9_.-]+", "an Airflow connection id", "alert_webhook"),
    )

    @property
    def bq_emulator_url(self) -> str | None:
        """Base URL of the emulator, or None when talking to real BigQuery."""
        return f"http://{self.bq_emulator_host}:{self.bq_emulator_port}" if self.bq_emulator else None

    @property
    def marts_audit_dataset(self) -> str:
        """Where each run builds and checks the marts before publishing them (write-audit-publish)."""
        return f"{self.marts_dataset}__audit"

    @property
    def marts_previous_dataset(self) -> str:
        """The marts as they were before the last publish: what `marts rollback` restores."""
        return f"{self.marts_dataset}__previous"

    @property
    def marts_shadow_dataset(self) -> str:
        """A full-refresh build of the marts, compared with the incremental one (`marts compare`)."""
        return f"{self.marts_dataset}__shadow"

    @property
    def marts_datasets(self) -> tuple[str, str, str, str]:
        """Every dataset of the marts' write-audit-publish: published, audit, previous, shadow."""
        return (self.marts_dataset, self.marts_audit_dataset, self.marts_previous_dataset, self.marts_shadow_dataset)

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
        """Read and validate every setting; an empty variable counts as unset (its default).

        A bad value raises ConfigError naming the variable and a valid example, before anything starts.
        """
        values: dict[str, Any] = {}
        for f in fields(cls):
            env, default = f.metadata["env"], f.metadata.get("default", "")
            parse: Parser = f.metadata.get("parse", _text)
            raw = os.environ.get(env) or (default(values) if callable(default) else default)
            values[f.name] = parse(env, raw)
        return cls(**values)

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
