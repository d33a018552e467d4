"""Connections to the source database, with one-line errors when it cannot be reached."""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg

from marketplace_elt.errors import ServiceError, UserError
from marketplace_elt.settings import Settings
from marketplace_sim.tables import TABLES


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.username or '?'}@{parts.hostname or 'localhost'}:{parts.port or 5432}{parts.path}"


def connect(url: str, *, setting_name: str, autocommit: bool = False) -> psycopg.Connection:
    """Open a connection to ``url``; a ServiceError (one line) if the server is unreachable.

    Sessions run with TimeZone=UTC: the generator writes timestamptz values as UTC wall-clock times.
    """
    try:
        return psycopg.connect(
            url,
            autocommit=autocommit,
            connect_timeout=10,
            options="-c TimeZone=UTC",
            application_name="marketplace-elt source",
        )
    except psycopg.OperationalError as exc:
        reason = (str(exc).strip().splitlines() or ["connection failed"])[-1].strip()
        raise ServiceError(
            f"cannot connect to the source database {_where(url)} ({reason}); start it with "
            f"`marketplace-elt services up` or point {setting_name} at a running server"
        ) from None


def connect_owner(settings: Settings, *, autocommit: bool = False) -> psycopg.Connection:
    """The owner connection used by `source` commands (schema changes, seeding, simulation)."""
    return connect(settings.source_admin_url, setting_name="SOURCE_ADMIN_DB_URL", autocommit=autocommit)


def missing_tables(conn: psycopg.Connection) -> list[str]:
    rows = conn.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'").fetchall()
    present = {name for (name,) in rows}
    return [t for t in TABLES if t not in present]


def require_tables(conn: psycopg.Connection) -> None:
    missing = missing_tables(conn)
    if missing:
        raise UserError(
            f"the source database has no table {', '.join(missing)}; "
            "create the schema with `marketplace-elt source init`"
        )
