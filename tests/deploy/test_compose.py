"""Static checks of docker-compose.yml and .env.example (no Docker engine needed).

What a typo or a drift would break only at `docker compose up` time is checked here instead: files
and build contexts exist, every environment variable is one something actually reads, the Settings
built from the compose environment point at the compose services, ports do not clash, Airflow
components share one JWT secret, authentication is on, and no secret is written into the file.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from dataclasses import fields
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from tests.deploy.compose_model import (
    ENV_EXAMPLE,
    ROOT,
    ComposeFile,
    MissingVariable,
    Service,
    interpolate,
    read_env_file,
)

PLATFORM_DOCKERFILES = {"airflow/Dockerfile", "dbt/Dockerfile"}
AIRFLOW_COMMANDS = {
    "airflow-apiserver": "api-server",
    "airflow-scheduler": "scheduler",
    "airflow-dag-processor": "dag-processor",
    "airflow-triggerer": "triggerer",
}
MELT_HOME = "/var/lib/marketplace-elt"
# Variables of third-party software the file sets on purpose (not read by this repository's code).
THIRD_PARTY_ENV = {
    "AIRFLOW_HOME": "Airflow's home directory",
    "SCARF_ANALYTICS": "telemetry opt-out (Airflow, dbt)",
    "DO_NOT_TRACK": "telemetry opt-out (generic)",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "dbt telemetry opt-out",
}
POSTGRES_IMAGE_ENV = {"POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|FERNET|TOKEN|CREDENTIAL|_KEY$")
REQUIRED_REFERENCE = re.compile(r"\$\{\w+:\?[^}]*\}")  # ${VAR:?message}: compose stops if VAR is unset
Env = dict[str, str]


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> ComposeFile:
    return ComposeFile()


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    return read_env_file(ENV_EXAMPLE)


@pytest.fixture(scope="module")
def dotenv(compose: ComposeFile, env_example: dict[str, str]) -> dict[str, str]:
    """A filled-in `.env`: .env.example with a stand-in value for every required (empty) secret."""
    required = {name for name, ops in compose.referenced_variables().items() if ops & {":?", "?"}}
    filled = {key: f"test-{key.lower()}" for key in required}
    return {key: value or filled.get(key, "") for key, value in env_example.items()}


def settings_env_names() -> set[str]:
    from marketplace_elt.settings import Settings

    return {f.metadata["env"] for f in fields(Settings)}


def dockerfile_of(service: Service) -> str | None:
    build = service.build
    if not build:
        return None
    context = Path(build.get("context", "."))
    return str((context / build.get("dockerfile", "Dockerfile")).as_posix()).removeprefix("./")


def platform_services(compose: ComposeFile) -> dict[str, Service]:
    """Services that run this repository's code (the platform image or the dbt image built on it)."""
    return {n: s for n, s in compose.services.items() if dockerfile_of(s) in PLATFORM_DOCKERFILES}


def airflow_services(compose: ComposeFile) -> dict[str, Service]:
    return {n: s for n, s in compose.services.items() if dockerfile_of(s) == "airflow/Dockerfile"}


def airflow_options() -> dict[str, set[str]]:
    """Config sections/options Airflow (config.yml) and Cosmos (its conf.get calls) define."""
    airflow_spec = importlib.util.find_spec("airflow")
    assert airflow_spec and airflow_spec.submodule_search_locations
    config_yml = Path(next(iter(airflow_spec.submodule_search_locations))) / "config_templates" / "config.yml"
    sections = yaml.safe_load(config_yml.read_text())
    options = {section: set((body or {}).get("options") or {}) for section, body in sections.items()}
    # [core] mp_start_method / mp_forkserver_preload may be set per component: Airflow reads the
    # component's section first (airflow/utils/process_utils.py; the option's description says so).
    for component in ("scheduler", "triggerer", "dag_processor"):
        options.setdefault(component, set()).update({"mp_start_method", "mp_forkserver_preload"})
    cosmos_spec = importlib.util.find_spec("cosmos")
    assert cosmos_spec and cosmos_spec.submodule_search_locations
    cosmos_dir = Path(next(iter(cosmos_spec.submodule_search_locations)))
    cosmos_keys: set[str] = set()
    for path in cosmos_dir.rglob("*.py"):
        text = path.read_text(errors="replace")
        cosmos_keys |= set(re.findall(r'conf\.get\w*\(\s*"cosmos",\s*"(\w+)"', text))
        if path.name == "provider_info.py":
            cosmos_keys |= set(re.findall(r'"(\w+)":\s*\{\s*"description"', text))
    options["cosmos"] = cosmos_keys
    # Providers declare their sections in get_provider_info()["config"] ([openlineage] and others).
    from airflow.providers_manager import ProvidersManager

    for provider in ProvidersManager().providers.values():
        for section, body in (provider.data.get("config") or {}).items():
            options.setdefault(section, set()).update((body or {}).get("options") or {})
    return options


@functools.cache
def package_sources() -> tuple[str, ...]:
    return tuple(p.read_text() for p in (ROOT / "src").rglob("*.py"))


def read_by_repository(name: str, service: Service) -> bool:
    """Whether this repository reads variable ``name`` for ``service`` (code, command, init scripts)."""
    sources = list(package_sources())
    sources.append(json.dumps(service.spec.get("command") or []))
    for volume in service.spec.get("volumes") or []:
        host = str(volume).split(":", 1)[0]
        if host.startswith("."):
            path = ROOT / host
            files = path.rglob("*") if path.is_dir() else [path]
            sources += [f.read_text(errors="replace") for f in files if f.is_file()]
    return any(re.search(rf"\b{re.escape(name)}\b", text) for text in sources)


def published_ports(service: Service, dotenv: Env) -> Iterator[tuple[str, int, str]]:
    """(host ip, host port, container port) of each short-syntax `ports:` entry."""
    for entry in service.spec.get("ports") or []:
        parts = interpolate(str(entry), dotenv).split(":")
        assert len(parts) in (2, 3), f"{service.name}: cannot read port mapping {entry!r}"
        ip = parts[0] if len(parts) == 3 else "0.0.0.0"
        yield ip, int(parts[-2]), parts[-1]


# --- the file and the files it references ------------------------------------------------------


def test_compose_file_parses_with_the_expected_services(compose: ComposeFile) -> None:
    assert set(compose.services) == {
        "source-postgres",
        "bq-emulator",
        "airflow-postgres",
        "airflow-init",
        *AIRFLOW_COMMANDS,
        "dbt",
        "dashboard",
    }
    declared_volumes = set(compose.data.get("volumes") or {})
    for service in compose.services.values():
        for volume in service.spec.get("volumes") or []:
            source = str(volume).split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{service.name}: named volume {source} is not declared"


def test_every_build_context_dockerfile_and_mounted_path_exists(compose: ComposeFile) -> None:
    for service in compose.services.values():
        build = service.build
        if build:
            context = ROOT / build.get("context", ".")
            assert context.is_dir(), f"{service.name}: build context {context} missing"
            dockerfile = context / build.get("dockerfile", "Dockerfile")
            assert dockerfile.is_file(), f"{service.name}: {dockerfile} missing"
            for name, ref in (build.get("additional_contexts") or {}).items():
                if ref.startswith("service:"):
                    other = ref.removeprefix("service:")
                    assert other in compose.services, f"{service.name}: context {name} names unknown {other}"
                    assert compose.services[other].build, f"{service.name}: {other} builds no image"
                elif "://" not in ref:
                    assert (ROOT / ref).exists(), f"{service.name}: additional context {ref} missing"
        for volume in service.spec.get("volumes") or []:
            source = str(volume).split(":", 1)[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{service.name}: mounted path {source} missing"


def test_every_image_is_pinned_to_a_tag(compose: ComposeFile) -> None:
    for service in compose.services.values():
        image = service.spec.get("image")
        assert image, f"{service.name}: give the service an image name (built or pulled)"
        tag = str(image).rpartition(":")[2] if ":" in str(image) else ""
        assert tag and tag != "latest", f"{service.name}: image {image} needs an explicit tag, not latest"


def test_no_service_reads_a_whole_env_file(compose: ComposeFile) -> None:
    # Secrets reach each container one by one through interpolation; an env_file would hand every
    # secret in .env to every container.
    for service in compose.services.values():
        assert "env_file" not in service.spec, f"{service.name}: pass variables explicitly, not env_file"


# --- variables: .env.example, spelling, secrets -------------------------------------------------


def test_env_example_documents_exactly_the_variables_compose_uses(
    compose: ComposeFile, env_example: dict[str, str]
) -> None:
    used = set(compose.referenced_variables())
    assert used - set(env_example) == set(), "variables compose reads but .env.example does not document"
    assert set(env_example) - used == set(), ".env.example documents variables compose never reads"


def test_env_example_holds_no_secret_values(compose: ComposeFile, env_example: dict[str, str]) -> None:
    required = {name for name, ops in compose.referenced_variables().items() if ops & {":?", "?"}}
    for name, value in env_example.items():
        if name in required or SECRET_NAME.search(name):
            assert value == "", f".env.example: {name} must be an empty placeholder, not a value"


def test_a_missing_secret_stops_compose(compose: ComposeFile, dotenv: Env) -> None:
    required = {name for name, ops in compose.referenced_variables().items() if ops & {":?", "?"}}
    assert {"SOURCE_REPLICATOR_PASSWORD", "AIRFLOW_JWT_SECRET", "AIRFLOW_ADMIN_PASSWORD"} <= required
    for name in required:
        with pytest.raises(MissingVariable):
            interpolate(compose.text, {**dotenv, name: ""})


def test_secrets_are_never_literal_in_the_compose_file(compose: ComposeFile) -> None:
    for service in compose.services.values():
        for key, value in service.raw_environment.items():
            if SECRET_NAME.search(key) and not key.startswith("AIRFLOW_CONN_") and not key.endswith("_FILE"):
                assert value.startswith("${") and value.endswith("}"), f"{service.name}: {key} is a literal"
            if "://" in value and not value.startswith("$"):
                password = urlsplit(value).password
                literal = password is not None and not password.startswith("${")
                assert not literal, f"{service.name}: {key} embeds a password"
            if key.startswith("AIRFLOW_CONN_"):
                conn = json.loads(value)
                password = str(conn.get("password", ""))
                literal = password != "" and not password.startswith("${")
                assert not literal, f"{service.name}: {key} has a literal password"


def test_every_environment_variable_is_read_by_something(compose: ComposeFile) -> None:
    settings_names = settings_env_names()
    options = airflow_options()
    problems: list[str] = []
    for service in compose.services.values():
        image = str(service.spec.get("image", ""))
        for name in service.raw_environment:
            if name in settings_names or name in THIRD_PARTY_ENV or name.startswith("AIRFLOW_CONN_"):
                continue
            if name in POSTGRES_IMAGE_ENV and image.startswith("postgres:"):
                continue
            if name.startswith("AIRFLOW__"):
                section, _, option = name.removeprefix("AIRFLOW__").lower().partition("__")
                if option in options.get(section, set()):
                    continue
                problems.append(f"{service.name}: {name} is no Airflow/Cosmos option ([{section}] {option})")
                continue
            if read_by_repository(name, service):
                continue
            close = difflib.get_close_matches(name, sorted(settings_names), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(f"{service.name}: nothing reads {name}{hint}")
    assert not problems, "\n".join(problems)


# --- the platform containers: Settings, Airflow ----------------------------------------------------


def test_platform_containers_share_one_configuration(compose: ComposeFile) -> None:
    platform = platform_services(compose)
    assert set(platform) == {"airflow-init", *AIRFLOW_COMMANDS, "dbt"}
    settings_names = settings_env_names()
    reference = {k: v for k, v in platform["airflow-init"].raw_environment.items() if k in settings_names}
    for name, service in platform.items():
        env = {k: v for k, v in service.raw_environment.items() if k in settings_names}
        env.pop("SOURCE_ADMIN_DB_URL", None)
        assert env == reference, f"{name}: Settings variables differ from airflow-init"
        mounts = {str(v).split(":")[1] for v in service.spec.get("volumes") or []}
        assert MELT_HOME in mounts, f"{name}: MELT_HOME must be the shared state volume"
    airflow = airflow_services(compose)
    init_env = airflow["airflow-init"].raw_environment
    reference_airflow = {k: v for k, v in init_env.items() if k.startswith("AIRFLOW")}
    for name, service in airflow.items():
        env = {k: v for k, v in service.raw_environment.items() if k.startswith("AIRFLOW")}
        env.pop("AIRFLOW_ADMIN_PASSWORD", None)
        assert env == reference_airflow, f"{name}: Airflow configuration differs from airflow-init"


def test_only_the_cli_gets_the_source_owner_credentials(compose: ComposeFile) -> None:
    # The DAG reads the source as the read-only replicator; the owner URL is for `source` commands.
    for name, service in platform_services(compose).items():
        has_owner = "SOURCE_ADMIN_DB_URL" in service.raw_environment
        assert has_owner == (name == "dbt"), f"{name}: SOURCE_ADMIN_DB_URL only belongs to the CLI service"


def test_settings_built_from_the_compose_environment_point_at_compose_services(
    compose: ComposeFile, dotenv: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace_elt.settings import Settings

    for name in settings_env_names():
        monkeypatch.delenv(name, raising=False)
    env = compose.services["dbt"].environment(dotenv)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_env()

    assert settings.home == Path(MELT_HOME)
    assert not settings.embedded_postgres, "PostgreSQL is a compose service: MELT_EMBEDDED_POSTGRES=false"
    assert settings.bq_emulator and not settings.bq_emulator_is_local
    assert settings.bq_emulator_url == "http://bq-emulator:9050"

    source = compose.services["source-postgres"].environment(dotenv)
    replicator, owner = urlsplit(settings.source_db_url), urlsplit(settings.source_admin_url)
    assert (replicator.hostname, replicator.port) == ("source-postgres", 5432)
    assert replicator.username == "marketplace_replicator"
    assert replicator.password == source["SOURCE_REPLICATOR_PASSWORD"]
    assert (owner.hostname, owner.username, owner.password) == (
        "source-postgres",
        source["POSTGRES_USER"],
        source["POSTGRES_PASSWORD"],
    )
    assert settings.source_db_name == source["POSTGRES_DB"] == owner.path.lstrip("/")

    airflow_db = compose.services["airflow-postgres"].environment(dotenv)
    meta = urlsplit(settings.airflow_db_url)
    assert (meta.hostname, meta.username, meta.password, meta.path.lstrip("/")) == (
        "airflow-postgres",
        airflow_db["POSTGRES_USER"],
        airflow_db["POSTGRES_PASSWORD"],
        airflow_db["POSTGRES_DB"],
    )

    airflow_env = compose.services["airflow-scheduler"].environment(dotenv)
    assert airflow_env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] == settings.airflow_db_url
    assert airflow_env["AIRFLOW_HOME"] == str(settings.airflow_home)
    assert airflow_env["AIRFLOW__CORE__DAGS_FOLDER"] == "/opt/marketplace-elt/airflow/dags"
    assert (ROOT / "airflow" / "dags").is_dir()


def test_the_emulator_serves_the_settings_project_and_ports(compose: ComposeFile, dotenv: Env) -> None:
    settings_env = compose.services["airflow-init"].environment(dotenv)
    emulator = compose.services["bq-emulator"]
    args = emulator.command(dotenv)
    assert args[:3] == ["python", "/opt/bq_emulator/launch.py", "start"] and "--persistent" in args

    def arg(flag: str) -> str:
        return args[args.index(flag) + 1]

    assert arg("--project") == settings_env["BQ_PROJECT"]
    assert arg("--rest-port") == settings_env["BQ_EMULATOR_PORT"]
    assert arg("--grpc-port") == settings_env["BQ_EMULATOR_GRPC_PORT"]
    assert arg("--rest-host") == arg("--grpc-host") == "0.0.0.0"
    mounts = {str(v).split(":")[1] for v in emulator.spec.get("volumes") or []}
    assert arg("--data-dir") in mounts, "the emulator's data dir must be a volume"


def test_airflow_components_run_with_the_local_airflow_configuration(
    compose: ComposeFile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every variable marketplace_elt.orchestration.airflow_env sets natively is set in compose too."""
    from marketplace_elt.orchestration.airflow_env import airflow_env
    from marketplace_elt.settings import Settings

    monkeypatch.setenv("MELT_HOME", str(tmp_path))
    monkeypatch.setenv("ALERT_WEBHOOK_URL", "http://alerts.invalid/hook")
    local = airflow_env(Settings.from_env())
    for name, service in airflow_services(compose).items():
        missing = set(local) - set(service.raw_environment)
        assert missing == set(), f"{name}: set these like airflow_env does: {sorted(missing)}"


def test_airflow_components_run_their_commands_after_init(compose: ComposeFile, dotenv: Env) -> None:
    init = " ".join(compose.services["airflow-init"].command(dotenv))
    assert "airflow db migrate" in init and "marketplace-elt dbt parse" in init
    for name, component in AIRFLOW_COMMANDS.items():
        service = compose.services[name]
        assert f"airflow {component}" in " ".join(service.command(dotenv)), f"{name} must run {component}"
        depends = service.spec.get("depends_on") or {}
        assert depends.get("airflow-init", {}).get("condition") == "service_completed_successfully"
        assert service.spec.get("healthcheck"), f"{name}: add a healthcheck"
    for name, service in compose.services.items():
        for other, spec in (service.spec.get("depends_on") or {}).items():
            assert other in compose.services, f"{name} depends on unknown service {other}"
            if spec.get("condition") == "service_healthy":
                assert compose.services[other].spec.get("healthcheck"), f"{other} has no healthcheck"


def test_every_airflow_component_shares_the_same_jwt_secret(compose: ComposeFile) -> None:
    for key in ("AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__CORE__FERNET_KEY"):
        values = {name: s.raw_environment.get(key) for name, s in airflow_services(compose).items()}
        assert len(set(values.values())) == 1, f"{key} differs between components: {values}"
        (value,) = set(values.values())
        assert value and REQUIRED_REFERENCE.fullmatch(value), f"{key} must come from a required .env variable"


def test_no_service_runs_with_all_admins_auth(compose: ComposeFile, dotenv: Env) -> None:
    for name, service in compose.services.items():
        env = service.environment(dotenv)
        all_admins = env.get("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
        assert all_admins.strip().lower() in ("false", "0", ""), f"{name}: all-admins disables authentication"
        if name in airflow_services(compose):
            assert env["AIRFLOW__CORE__AUTH_MANAGER"].endswith("SimpleAuthManager")
            users = [u.split(":") for u in env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"].split(",")]
            assert users and all(len(u) >= 2 and u[0] for u in users)
    api = compose.services["airflow-apiserver"]
    password = api.raw_environment["AIRFLOW_ADMIN_PASSWORD"]
    assert REQUIRED_REFERENCE.fullmatch(password) and "AIRFLOW_ADMIN_PASSWORD" in password
    seed = " ".join(api.command(dotenv))
    assert "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE" in seed and "AIRFLOW_ADMIN_PASSWORD" in seed


def test_connection_hosts_are_compose_services(compose: ComposeFile, dotenv: Env) -> None:
    from marketplace_elt.orchestration.airflow_env import connections
    from marketplace_elt.settings import Settings

    expected = connections(Settings.from_env())
    for name, service in airflow_services(compose).items():
        env = service.environment(dotenv)
        conns = {k: json.loads(v) for k, v in env.items() if k.startswith("AIRFLOW_CONN_")}
        assert set(expected) - set(conns) <= {"AIRFLOW_CONN_ALERT_WEBHOOK"}
        assert set(conns) - set(expected) <= {"AIRFLOW_CONN_ALERT_WEBHOOK"}
        for key, conn in conns.items():
            if key in expected:
                assert conn["conn_type"] == json.loads(expected[key])["conn_type"], f"{name}: {key} type"
            host = str(conn.get("host") or "")
            if key == "AIRFLOW_CONN_ALERT_WEBHOOK":
                assert host == dotenv.get("ALERT_WEBHOOK_URL", ""), "the alert webhook is the user's own URL"
                continue
            hostname = urlsplit(host).hostname if "://" in host else host
            assert hostname in set(compose.services) | service.extra_hosts, f"{name}: {key} host {hostname!r}"
        source = conns["AIRFLOW_CONN_MARKETPLACE_SOURCE"]
        assert source["login"] == "marketplace_replicator", "the DAG reads the source read-only"
        assert source["port"] == 5432 and source["schema"] == env["SOURCE_DB_URL"].rsplit("/", 1)[1]
        assert source["password"] == urlsplit(env["SOURCE_DB_URL"]).password


def test_published_host_ports_do_not_clash_and_stay_local(compose: ComposeFile, dotenv: Env) -> None:
    seen: dict[int, str] = {}
    for service in compose.services.values():
        for ip, host_port, _ in published_ports(service, dotenv):
            assert ip == "127.0.0.1", f"{service.name}: publish on 127.0.0.1 only (port {host_port})"
            assert host_port not in seen, f"host port {host_port}: {seen.get(host_port)} and {service.name}"
            seen[host_port] = service.name
    assert {"airflow-apiserver", "bq-emulator", "source-postgres"} <= set(seen.values())
    assert "airflow-postgres" not in seen.values(), "Airflow's metadata DB needs no host port"


def test_source_postgres_is_initialised_from_the_contract(compose: ComposeFile) -> None:
    service = compose.services["source-postgres"]
    mounts = dict(str(v).split(":")[:2] for v in service.spec.get("volumes") or [])
    assert mounts.get("./source_db/docker-init") == "/docker-entrypoint-initdb.d"
    contract_dir = mounts.get("./source_db")
    assert contract_dir, "mount source_db/ so the init script can read schema.sql and roles.sql"
    scripts = sorted((ROOT / "source_db" / "docker-init").glob("*.sh"))
    assert scripts, "source_db/docker-init holds no init script"
    text = "\n".join(s.read_text() for s in scripts)
    assert contract_dir in text and "schema.sql" in text and "roles.sql" in text
    assert "ALTER ROLE marketplace_replicator PASSWORD" in text
    for name in set(service.raw_environment) - POSTGRES_IMAGE_ENV:
        assert name in text, f"source-postgres sets {name} but no init script reads it"
    for script in scripts:
        assert subprocess.run(["bash", "-n", str(script)]).returncode == 0, f"{script.name}: syntax error"


def test_dbt_service_runs_the_cli_so_dbt_build_works(compose: ComposeFile) -> None:
    from marketplace_elt.cli import build_parser

    service = compose.services["dbt"]
    assert dockerfile_of(service) == "dbt/Dockerfile"
    assert service.spec.get("profiles"), "keep the CLI out of `docker compose up` (it is run on demand)"
    entrypoint = service.spec.get("entrypoint") or _dockerfile_entrypoint(ROOT / "dbt" / "Dockerfile")
    assert entrypoint == ["marketplace-elt"]
    # `docker compose run dbt dbt build` -> `marketplace-elt dbt build`
    args = build_parser().parse_args(["dbt", "build"])
    assert args.dbt_args == ["build"] and callable(args.handler)
    base = service.build["additional_contexts"]["platform"] if service.build else ""
    assert base == "service:airflow-init"
    assert dockerfile_of(compose.services["airflow-init"]) == "airflow/Dockerfile"


def _dockerfile_entrypoint(path: Path) -> list[str] | None:
    entrypoint = None
    for line in path.read_text().splitlines():
        if line.strip().upper().startswith("ENTRYPOINT"):
            value = line.strip()[len("ENTRYPOINT") :].strip()
            entrypoint = json.loads(value) if value.startswith("[") else shlex.split(value)
    return entrypoint
