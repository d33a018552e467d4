"""Creating the source schema, the read-only replication role, and bulk-load housekeeping."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import psycopg
from psycopg import sql

from marketplace_elt.errors import ConfigError, UserError
from marketplace_elt.settings import Settings
from marketplace_sim.db import connect_owner
from marketplace_sim.tables import META_SCHEMA, META_SQL, ROLES_SQL, SCHEMA_SQL, SERIAL_IDS, TABLES

log = logging.getLogger(__name__)


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def replicator_credentials(settings: Settings) -> tuple[str, str | None]:
    """(role, password) of the read-only URL; refuses to turn the owner into the read-only role."""
    url = urlsplit(settings.source_db_url)
    role = unquote(url.username or "")
    if not role:
        raise ConfigError(
            "SOURCE_DB_URL names no user; give it the read-only role, "
            "e.g. postgresql://marketplace_replicator:PASSWORD@host/db"
        )
    owner = unquote(urlsplit(settings.source_admin_url).username or "")
    if role == owner:
        raise ConfigError(
            f"SOURCE_DB_URL uses the owner role {role!r}; extract-load must read as a separate read-only role "
            "such as marketplace_replicator"
        )
    return role, unquote(url.password) if url.password is not None else None


def _may_set_password(conn: psycopg.Connection, role: str) -> bool:
    """False when the read-only role has REPLICATION (CDC mode) and we are not a superuser: only a
    superuser may change such a role, so its password stays with whoever granted REPLICATION (on the
    embedded server, `services up` sets it as the superuser at every start)."""
    row = conn.execute(
        "SELECT r.rolreplication AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) "
        "FROM pg_roles r WHERE r.rolname = %s",
        [role],
    ).fetchone()
    if row and row[0]:
        log.info("role %s has REPLICATION: its password is left to the administrator (superuser)", role)
        return False
    return True


def apply_schema(conn: psycopg.Connection, settings: Settings) -> None:
    """Run schema.sql, meta.sql and roles.sql (all idempotent) and set the replicator's password."""
    role, password = replicator_credentials(settings)
    try:
        conn.execute(SCHEMA_SQL.read_bytes())
        conn.execute(META_SQL.read_bytes())
        conn.execute("SELECT set_config('marketplace.replicator_role', %s, true)", [role])
        conn.execute(ROLES_SQL.read_bytes())
        if password is not None and _may_set_password(conn, role):
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
    except psycopg.errors.InsufficientPrivilege as exc:
        raise UserError(
            f"the owner in SOURCE_ADMIN_DB_URL lacks a privilege the schema needs ({_first_line(exc)}); "
            "run source_db/schema.sql and source_db/roles.sql as an administrator, or grant it CREATEROLE"
        ) from None
    except psycopg.Error as exc:
        raise UserError(
            f"could not create the source schema ({_first_line(exc)}); fix the database or "
            "SOURCE_ADMIN_DB_URL and rerun `marketplace-elt source init`"
        ) from None


def prepare_cdc(settings: Settings) -> bool:
    """DELETE_CAPTURE=cdc on the embedded server: give the read-only role REPLICATION and create each
    ``deletes: hard`` stream's publication, as the server's superuser (granting REPLICATION needs one).

    Returns False for a source elsewhere, whose administrator does this once (docs/extract-load.md);
    the first sync's one-line error says what is missing."""
    from marketplace_elt.el.catalog import load_catalog
    from marketplace_elt.el.cdc import slot_name
    from marketplace_elt.services.postgres import EmbeddedPostgres

    server = EmbeddedPostgres(settings)
    if not server.points_here(settings.source_admin_url):
        return False
    role, password = replicator_credentials(settings)
    dbname = urlsplit(settings.source_admin_url).path.lstrip("/") or "marketplace"
    catalog = load_catalog()
    with psycopg.connect(server.superuser_conninfo(dbname), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER ROLE {} REPLICATION").format(sql.Identifier(role)))
        if password is not None:  # from now on only a superuser may set it (see _may_set_password)
            conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
        for stream in catalog.streams:
            name = slot_name(stream.name)
            if (
                stream.captures_deletes
                and not conn.execute("SELECT 1 FROM pg_publication WHERE pubname = %s", [name]).fetchone()
            ):
                conn.execute(
                    sql.SQL("CREATE PUBLICATION {} FOR TABLE {}.{}").format(
                        sql.Identifier(name), sql.Identifier(catalog.source_schema), sql.Identifier(stream.name)
                    )
                )
    return True


def init(settings: Settings) -> None:
    """Create the nine tables, the meta schema and the read-only role (with CDC: its publications). Safe to repeat."""
    with connect_owner(settings) as conn:
        apply_schema(conn, settings)
    if settings.delete_capture == "cdc":
        prepare_cdc(settings)


def row_counts(conn: psycopg.Connection, tables: Sequence[str] = TABLES) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in tables:
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts


def truncate_all(conn: psycopg.Connection) -> None:
    """Empty the nine tables and the simulator's bookkeeping (schema and grants stay)."""
    conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(sql.SQL(", ").join(sql.Identifier(t) for t in TABLES)))
    conn.execute(
        sql.SQL("TRUNCATE {}").format(
            sql.SQL(", ").join(
                sql.Identifier(META_SCHEMA, t) for t in ("sim_state", "fault_manifest", "order_lifecycle", "change_log")
            )
        )
    )


@dataclass(frozen=True)
class _Saved:
    table: str
    name: str
    definition: str
    kind: str  # 'p' / 'u' primary key or unique constraint, 'f' foreign key, 'i' plain index


def suspend_constraints(conn: psycopg.Connection) -> list[_Saved]:
    """Drop keys, foreign keys and indexes of the nine tables for a bulk load (same transaction).

    The definitions come from the catalog, so whatever schema the database has is restored as is by
    :func:`restore_constraints`; building indexes once after COPY is much faster than maintaining
    them row by row, and foreign keys are then validated with one join each.
    """
    saved: list[_Saved] = []
    constraints = conn.execute(
        """
        SELECT r.relname, c.conname, pg_get_constraintdef(c.oid), c.contype
        FROM pg_constraint c
        JOIN pg_class r ON r.oid = c.conrelid
        JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE n.nspname = 'public' AND r.relname = ANY(%s) AND c.contype IN ('p', 'u', 'f')
        ORDER BY c.contype = 'f' DESC, r.relname, c.conname
        """,
        [list(TABLES)],
    ).fetchall()
    indexes = conn.execute(
        """
        SELECT r.relname, ic.relname, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_class r ON r.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = r.relnamespace
        WHERE n.nspname = 'public' AND r.relname = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY r.relname, ic.relname
        """,
        [list(TABLES)],
    ).fetchall()
    for table, name, definition in indexes:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier("public", name)))
        saved.append(_Saved(table, name, definition, "i"))
    for table, name, definition, kind in constraints:
        conn.execute(
            sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(sql.Identifier("public", table), sql.Identifier(name))
        )
        saved.append(_Saved(table, name, definition, kind))
    return saved


def restore_constraints(conn: psycopg.Connection, saved: list[_Saved]) -> None:
    """Recreate what :func:`suspend_constraints` dropped: keys first, then indexes, then foreign keys."""
    for kind in ("p", "u", "i", "f"):
        for item in saved:
            if item.kind != kind:
                continue
            if kind == "i":
                conn.execute(item.definition.encode())
            else:
                head = sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} ").format(
                    sql.Identifier("public", item.table), sql.Identifier(item.name)
                )
                conn.execute(head.as_bytes(conn) + item.definition.encode())


def sync_sequences(conn: psycopg.Connection) -> None:
    """Move serial sequences past the explicit ids the generator wrote."""
    for table in SERIAL_IDS:
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({}, 'id'), coalesce((SELECT max(id) FROM {}), 0) + 1, false)"
            ).format(sql.Literal(f"public.{table}"), sql.Identifier("public", table))
        )
