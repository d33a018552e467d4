"""Change data capture through a logical slot and pgoutput (el/cdc.py), on the real PostgreSQL.

The session's PostgreSQL runs with wal_level=logical. Each test makes its own small tables in the
module's private source database, changes them as the owner, and reads the changes through the
stream's slot; slots are cluster-wide and keep WAL (and block DROP DATABASE), so every capture is
dropped at the end. Creating a slot needs REPLICATION, which only a superuser can grant: the
captures are set up over the server's superuser socket, or as a test role given REPLICATION and,
like the extract role (source_db/roles.sql), `default_transaction_read_only = on`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import sql

from marketplace_elt.el import cdc
from marketplace_elt.errors import ConfigError
from marketplace_elt.services.postgres import EmbeddedPostgres
from marketplace_elt.settings import Settings

READER = "melt_cdc_test_reader"  # REPLICATION, read-only by default, owns nothing
NOTHING = cdc.Changes(frozenset(), frozenset(), 0, None)


@pytest.fixture(scope="module")
def su(services: Settings, el_settings: Settings) -> Iterator[psycopg.Connection]:
    """A superuser connection to the module's database; at the end, drops every slot left in it."""
    db = urlsplit(el_settings.source_admin_url).path.lstrip("/")
    with psycopg.connect(EmbeddedPostgres(services).superuser_conninfo(db), autocommit=True) as conn:
        yield conn
        conn.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = current_database()"
        )


@pytest.fixture(scope="module")
def reader(services: Settings, el_settings: Settings, su: psycopg.Connection) -> Iterator[psycopg.Connection]:
    """A connection as READER (through the trusted local socket, so no password)."""
    role = sql.Identifier(READER)
    exists = su.execute("SELECT FROM pg_roles WHERE rolname = %s", [READER]).fetchone()
    su.execute(sql.SQL("{} ROLE {} LOGIN REPLICATION").format(sql.SQL("ALTER" if exists else "CREATE"), role))
    su.execute(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(role))
    pg = EmbeddedPostgres(services)
    db = urlsplit(el_settings.source_admin_url).path.lstrip("/")
    with psycopg.connect(f"host={pg.socket_dir} port={pg.port} user={READER} dbname={db}", autocommit=True) as conn:
        yield conn
    su.execute(sql.SQL("DROP OWNED BY {}").format(role))
    su.execute(sql.SQL("DROP ROLE {}").format(role))


@pytest.fixture
def table(owner: psycopg.Connection, su: psycopg.Connection) -> Iterator[Callable[[str, str], str]]:
    """Makes public.<name> (owned by the owner) whose stream is <name>; drops captures and tables after."""
    made: list[str] = []

    def make(name: str, columns: str) -> str:
        owner.execute(f"DROP TABLE IF EXISTS public.{name}")
        owner.execute(f"CREATE TABLE public.{name} ({columns})")
        made.append(name)
        return name

    yield make
    for name in made:
        cdc.drop_capture(su, name)
        owner.execute(f"DROP TABLE IF EXISTS public.{name}")


def peek(conn: psycopg.Connection, name: str, key: tuple[str, ...] = ("id",)) -> cdc.Changes:
    return cdc.peek_changes(conn, name, "public", name, key)


def keys(*values: Any) -> frozenset[tuple[str | None, ...]]:
    return frozenset(tuple(map(str, v)) if isinstance(v, tuple) else (str(v),) for v in values)


def test_slot_name() -> None:
    assert cdc.slot_name("payments") == "melt_cdc_payments"
    for bad in ("Payments", "order-items", "x" * 60):
        with pytest.raises(ConfigError, match="lower-case letters"):
            cdc.slot_name(bad)


class ReplicaServer:
    """A connection stand-in for a source running with wal_level=replica."""

    def execute(self, query: str, *args: Any) -> ReplicaServer:
        assert query == "SHOW wal_level"
        return self

    def fetchone(self) -> tuple[str]:
        return ("replica",)


def test_wal_level_must_be_logical(su: psycopg.Connection) -> None:
    message = (
        "source wal_level is replica; set wal_level=logical on the source server and restart it, "
        "or set DELETE_CAPTURE=reconcile"
    )
    for check in (cdc.require_logical, lambda conn: cdc.ensure_capture(conn, "public", "payments", "payments")):
        with pytest.raises(ConfigError) as error:
            check(ReplicaServer())  # type: ignore[arg-type]
        assert str(error.value) == message
    cdc.require_logical(su)  # the test server is logical


def test_one_batch(table: Callable[[str, str], str], owner: psycopg.Connection, su: psycopg.Connection) -> None:
    name = table("cdc_probe", "id int PRIMARY KEY, v text")
    owner.execute("INSERT INTO cdc_probe VALUES (0, 'before the slot: part of the snapshot')")
    assert cdc.ensure_capture(su, "public", name, name) is True
    assert peek(su, name) == NOTHING
    owner.execute("INSERT INTO cdc_probe VALUES (1, 'a'), (2, 'b'), (3, 'c')")
    owner.execute("UPDATE cdc_probe SET v = 'B' WHERE id = 2")
    owner.execute("DELETE FROM cdc_probe WHERE id = 0")
    with owner.transaction():
        owner.execute("INSERT INTO cdc_probe VALUES (4, 'd')")
        owner.execute("DELETE FROM cdc_probe WHERE id = 4")

    changes = peek(su, name)
    assert changes.upserted == keys(1, 2, 3)
    assert changes.deleted == keys(0, 4)
    assert changes.changes == 7
    assert changes.last_lsn is not None
    assert peek(su, name) == changes  # peeking consumes nothing

    cdc.advance(su, name, changes.last_lsn)
    assert peek(su, name) == NOTHING
    owner.execute("UPDATE cdc_probe SET v = 'A' WHERE id = 1")
    after = peek(su, name)
    assert (after.upserted, after.deleted, after.changes) == (keys(1), frozenset(), 1)


def test_primary_key_update(
    table: Callable[[str, str], str], owner: psycopg.Connection, su: psycopg.Connection
) -> None:
    name = table("cdc_rekey", "id int PRIMARY KEY, v text")
    owner.execute("INSERT INTO cdc_rekey VALUES (1, 'a'), (2, 'b')")
    cdc.ensure_capture(su, "public", name, name)
    owner.execute("UPDATE cdc_rekey SET id = 10 WHERE id = 1")
    owner.execute("UPDATE cdc_rekey SET id = 11, v = 'c' WHERE id = 10")
    owner.execute("UPDATE cdc_rekey SET id = 1 WHERE id = 2")  # a new row under a key just deleted
    changes = peek(su, name)
    assert changes.deleted == keys(2, 10)
    assert changes.upserted == keys(1, 11)
    assert changes.changes == 3


def test_composite_key_nulls_toast_and_other_tables(
    table: Callable[[str, str], str], owner: psycopg.Connection, su: psycopg.Connection
) -> None:
    # The long value comes first, so a wrong length while decoding it would garble the key after it.
    name = table("cdc_pair", "note text, a text, b int, w int, v text, PRIMARY KEY (a, b)")
    other = table("cdc_other", "id int PRIMARY KEY, v text")
    owner.execute("ALTER TABLE cdc_pair ALTER note SET STORAGE EXTERNAL")  # out of line, uncompressed
    assert cdc.ensure_capture(su, "public", name, name)
    # Another table in the same publication: its changes reach the decoder, which must skip them.
    su.execute(f"ALTER PUBLICATION {cdc.slot_name(name)} ADD TABLE public.{other}")
    long_note = "é" + "x" * 100_000
    owner.execute(
        "INSERT INTO cdc_pair VALUES (%s, 'x', 1, 1, NULL), ('short', 'x', 2, NULL, NULL), (NULL, 'y', 1, NULL, 'v')",
        [long_note],
    )
    owner.execute("UPDATE cdc_pair SET w = 2 WHERE a = 'x' AND b = 1")  # note: an unchanged TOAST value
    owner.execute("DELETE FROM cdc_pair WHERE a = 'y' AND b = 1")
    owner.execute("UPDATE cdc_pair SET b = 3 WHERE a = 'x' AND b = 2")
    owner.execute("INSERT INTO cdc_other VALUES (1, 'x'), (2, 'y')")  # same key values as cdc_pair's (x, 1)...
    owner.execute("DELETE FROM cdc_other WHERE id = 1")

    changes = peek(su, name, ("a", "b"))
    assert changes.upserted == keys(("x", 1), ("x", 3))
    assert changes.deleted == keys(("y", 1), ("x", 2))
    assert changes.changes == 6
    owner.execute("UPDATE cdc_other SET v = 'z'")
    later = peek(su, name, ("a", "b"))
    assert (later.upserted, later.deleted, later.changes) == (changes.upserted, changes.deleted, 6)
    assert later.last_lsn != changes.last_lsn  # advancing to it skips the other table's changes too
    assert later.last_lsn is not None
    cdc.advance(su, name, later.last_lsn)
    assert peek(su, name, ("a", "b")) == NOTHING


def test_truncate_asks_for_a_full_refresh(
    table: Callable[[str, str], str], owner: psycopg.Connection, su: psycopg.Connection
) -> None:
    name = table("cdc_trunc", "id int PRIMARY KEY")
    cdc.ensure_capture(su, "public", name, name)
    owner.execute("INSERT INTO cdc_trunc VALUES (1)")
    owner.execute("TRUNCATE cdc_trunc")
    with pytest.raises(ConfigError, match="marketplace-elt el sync --stream cdc_trunc --full-refresh"):
        peek(su, name)
    cdc.drop_capture(su, name)  # what a full refresh does: a new capture, then a snapshot
    assert cdc.ensure_capture(su, "public", name, name) is True
    assert peek(su, name) == NOTHING


def test_ensure_and_drop_are_idempotent(
    table: Callable[[str, str], str], owner: psycopg.Connection, su: psycopg.Connection
) -> None:
    name = table("cdc_twice", "id int PRIMARY KEY")
    slot = cdc.slot_name(name)

    def state() -> tuple[bool, bool]:
        row = su.execute(
            "SELECT EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = %(s)s AND plugin = 'pgoutput'), "
            "EXISTS (SELECT FROM pg_publication_tables WHERE pubname = %(s)s AND tablename = %(t)s)",
            {"s": slot, "t": name},
        ).fetchone()
        assert row is not None
        return row[0], row[1]

    assert cdc.ensure_capture(su, "public", name, name) is True
    assert cdc.ensure_capture(su, "public", name, name) is False
    assert state() == (True, True)
    cdc.drop_capture(su, name)
    cdc.drop_capture(su, name)
    assert state() == (False, False)
    assert cdc.ensure_capture(su, "public", name, name) is True

    cdc.drop_capture(su, name)
    table("cdc_elsewhere", "id int PRIMARY KEY")
    su.execute(f"CREATE PUBLICATION {slot} FOR TABLE public.cdc_elsewhere")
    with pytest.raises(ConfigError, match=f"ALTER PUBLICATION {slot} ADD TABLE public.cdc_twice"):
        cdc.ensure_capture(su, "public", name, name)


def test_read_only_replication_role(
    table: Callable[[str, str], str], owner: psycopg.Connection, reader: psycopg.Connection, su: psycopg.Connection
) -> None:
    """The extract role's shape: REPLICATION, read-only sessions, the publication made by the owner."""
    name = table("cdc_ro", "id int PRIMARY KEY, v text")
    owner.execute(f"CREATE PUBLICATION {cdc.slot_name(name)} FOR TABLE public.{name}")
    assert reader.execute("SHOW transaction_read_only").fetchone() == ("on",)

    assert cdc.ensure_capture(reader, "public", name, name) is True
    owner.execute("INSERT INTO cdc_ro VALUES (1, 'a'), (2, 'b')")
    owner.execute("DELETE FROM cdc_ro WHERE id = 2")
    changes = peek(reader, name)
    assert (changes.upserted, changes.deleted, changes.changes) == (keys(1), keys(2), 3)
    assert changes.last_lsn is not None
    cdc.advance(reader, name, changes.last_lsn)
    assert peek(reader, name) == NOTHING
    assert reader.execute("SHOW transaction_read_only").fetchone() == ("on",)  # the session stayed read-only

    with pytest.raises(ConfigError, match=f"run DROP PUBLICATION {cdc.slot_name(name)} as its owner"):
        cdc.drop_capture(reader, name)  # the slot is gone; the owner's publication is not the reader's


def test_missing_privileges(
    table: Callable[[str, str], str], owner: psycopg.Connection, reader: psycopg.Connection
) -> None:
    # The owner can publish its table but, without REPLICATION, cannot create the slot.
    mine = table("cdc_priv", "id int PRIMARY KEY")
    with pytest.raises(ConfigError) as error:
        cdc.ensure_capture(owner, "public", mine, mine)
    assert "needs REPLICATION" in str(error.value)
    assert "CREATE PUBLICATION melt_cdc_cdc_priv FOR TABLE public.cdc_priv" in str(error.value)
    assert "\n" not in str(error.value)

    # A REPLICATION role that does not own the table cannot publish it (PostgreSQL names the missing
    # privilege: ownership, or CREATE on the database, whichever it checks first).
    theirs = table("cdc_priv2", "id int PRIMARY KEY")
    with pytest.raises(ConfigError, match="cannot set up CDC for stream cdc_priv2") as error:
        cdc.ensure_capture(reader, "public", theirs, theirs)
    assert "CREATE PUBLICATION melt_cdc_cdc_priv2 FOR TABLE public.cdc_priv2" in str(error.value)
