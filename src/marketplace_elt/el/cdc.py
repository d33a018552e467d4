"""Change data capture from PostgreSQL: logical replication with the built-in ``pgoutput`` plugin.

Each stream has a publication and a logical slot of its own, both named ``melt_cdc_<stream>``, so
one stream's slot never holds back or consumes another's changes. A sync *peeks* the slot (the
changes stay in it), applies them, and only after the sync succeeded *advances* the slot past what
it read: a failed sync leaves the changes in place for the next one.

Everything goes through SQL functions on an ordinary connection (``pg_logical_slot_peek_binary_changes``),
not through a replication-protocol connection. With ``REPLICA IDENTITY DEFAULT`` pgoutput sends the
primary key of deleted rows (and the old key of an update that changes it), which is all a sync
needs: the result is the set of keys to re-read and the set of keys to mark deleted.

``conn`` is an autocommit connection such as ``extract.connect_source``'s.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import psycopg
from psycopg import sql

from marketplace_elt.errors import ConfigError

PREFIX = "melt_cdc_"
MAX_NAME = 63  # NAMEDATALEN - 1: longer slot names are refused

Key = tuple[str | None, ...]


class _Toast(Enum):
    UNCHANGED = "u"  # an unchanged TOASTed value: pgoutput does not send it


Value = str | None | _Toast


def slot_name(stream: str) -> str:
    """The stream's slot name, also its publication's (slot names allow only [a-z0-9_])."""
    name = f"{PREFIX}{stream}"
    if not re.fullmatch(r"[a-z0-9_]+", name) or len(name) > MAX_NAME:
        raise ConfigError(
            f"stream {stream!r} cannot name a replication slot ({name!r}); CDC needs stream names of at most "
            f"{MAX_NAME - len(PREFIX)} lower-case letters, digits and underscores"
        )
    return name


def require_logical(conn: psycopg.Connection[Any]) -> None:
    """Refuse a source whose WAL carries no logical decoding information."""
    row = conn.execute("SHOW wal_level").fetchone()
    level = row[0] if row else "unknown"
    if level != "logical":
        raise ConfigError(
            f"source wal_level is {level}; set wal_level=logical on the source server and restart it, "
            "or set DELETE_CAPTURE=reconcile"
        )


def _privilege_error(conn: psycopg.Connection[Any], stream: str, table: str, exc: psycopg.Error) -> ConfigError:
    role, reason = conn.info.user, (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return ConfigError(
        f"role {role} cannot set up CDC for stream {stream} ({reason}); the role needs REPLICATION "
        f"(ALTER ROLE {role} REPLICATION, as a superuser) and ownership of {table}, or the table's owner "
        f"creates the publication: CREATE PUBLICATION {slot_name(stream)} FOR TABLE {table}"
    )


def ensure_capture(conn: psycopg.Connection[Any], schema: str, table: str, stream: str) -> bool:
    """Create the stream's publication and slot if missing; True when the slot was created now.

    A new slot starts at the present: the caller then reads the whole table once (the snapshot).
    The publication comes first, since pgoutput looks publications up as of each decoded change.
    """
    require_logical(conn)
    slot, qualified = slot_name(stream), f"{schema}.{table}"
    try:
        published = conn.execute(
            "SELECT EXISTS (SELECT FROM pg_publication WHERE pubname = %(p)s), EXISTS (SELECT FROM "
            "pg_publication_tables WHERE pubname = %(p)s AND schemaname = %(s)s AND tablename = %(t)s)",
            {"p": slot, "s": schema, "t": table},
        ).fetchone()
        assert published is not None
        if not published[0]:
            # The extract role's sessions are read-only by default (source_db/roles.sql) and CREATE
            # PUBLICATION is a write: it gets a transaction of its own, set READ WRITE, so the session
            # stays read-only otherwise. Slot functions work in read-only transactions (PostgreSQL 15).
            with conn.transaction():
                conn.execute("SET TRANSACTION READ WRITE")
                conn.execute(
                    sql.SQL("CREATE PUBLICATION {} FOR TABLE {}.{}").format(
                        sql.Identifier(slot), sql.Identifier(schema), sql.Identifier(table)
                    )
                )
        elif not published[1]:
            raise ConfigError(
                f"publication {slot} exists but does not publish {qualified}; run "
                f"ALTER PUBLICATION {slot} ADD TABLE {qualified} as the table's owner"
            )
        found = conn.execute(
            "SELECT plugin, database = current_database() FROM pg_replication_slots WHERE slot_name = %s", [slot]
        ).fetchone()
        if found is not None:
            if found != ("pgoutput", True):
                raise ConfigError(
                    f"replication slot {slot} exists but is not a pgoutput slot of this database; drop it "
                    f"(SELECT pg_drop_replication_slot('{slot}')) and run a full refresh of stream {stream}"
                )
            return False
        conn.execute("SELECT pg_create_logical_replication_slot(%s, 'pgoutput')", [slot])
        return True
    except psycopg.errors.InsufficientPrivilege as exc:
        raise _privilege_error(conn, stream, qualified, exc) from None


@dataclass(frozen=True)
class Changes:
    upserted: frozenset[Key]  # primary keys (text, as pgoutput sends them) inserted/updated, not deleted after
    deleted: frozenset[Key]  # keys whose last change in the batch is a delete
    changes: int  # insert/update/delete messages read for this table
    last_lsn: str | None  # LSN of the last message read (advance to it), None when nothing was read


class _Reader:
    """A cursor over one pgoutput message (protocol version 1, network byte order).

    Pure Python with ``struct``: psycopg has no pgoutput decoder, and the SQL interface (peek,
    then advance) avoids a replication connection, so the messages arrive as plain ``bytea``.
    Text is decoded as UTF-8, the source's server encoding (pgoutput sends text in that encoding).
    """

    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 1  # byte 0 is the message type

    def num(self, fmt: str) -> int:
        (value,) = struct.unpack_from(f"!{fmt}", self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return int(value)

    def byte(self) -> str:
        self.pos += 1
        return chr(self.data[self.pos - 1])

    def string(self) -> str:
        end = self.data.index(b"\0", self.pos)
        text, self.pos = self.data[self.pos : end].decode(), end + 1
        return text

    def tuple(self) -> list[Value]:
        """TupleData: Int16 column count, then per column 'n' (null), 'u' (unchanged TOAST) or 't' (text)."""
        values: list[Value] = []
        for _ in range(self.num("h")):
            kind = self.byte()
            if kind == "t":
                size = self.num("i")
                values.append(self.data[self.pos : self.pos + size].decode())
                self.pos += size
            else:
                values.append(None if kind == "n" else _Toast.UNCHANGED)
        return values


def _key(row: Sequence[Value] | None, positions: Sequence[int]) -> Key | None:
    """The primary key of a tuple; None without a tuple, or when a key column is not in it."""
    if row is None:
        return None
    parts = [value for i in positions if isinstance(value := row[i], str)]
    return tuple(parts) if len(parts) == len(positions) else None


def peek_changes(
    conn: psycopg.Connection[Any], stream: str, schema: str, table: str, primary_key: Sequence[str]
) -> Changes:
    """The keys changed in ``schema.table`` since the slot's position; the slot does not move."""
    slot, qualified = slot_name(stream), f"{schema}.{table}"
    rows = conn.execute(
        "SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes(%s, NULL, NULL, "
        "'proto_version', '1', 'publication_names', %s)",
        [slot, slot],
    ).fetchall()
    positions: dict[int, list[int]] = {}  # relation id -> key column positions, for this table only
    latest: dict[Key, bool] = {}  # key -> whether its last change leaves the row present
    count, last_lsn = 0, None
    for lsn, data in rows:
        last_lsn, kind, msg = lsn, chr(data[0]), _Reader(data)
        if kind == "R":
            relid, namespace, name = msg.num("I"), msg.string(), msg.string()
            msg.byte()  # replica identity setting
            columns = []
            for _ in range(msg.num("h")):
                msg.byte()  # flags (1: part of the replica identity)
                columns.append(msg.string())
                msg.pos += 8  # type oid, type modifier
            if (namespace, name) == (schema, table):
                missing = [c for c in primary_key if c not in columns]
                if missing:
                    raise ConfigError(f"primary key column(s) {missing} of stream {stream} are not in {qualified}")
                positions[relid] = [columns.index(c) for c in primary_key]
        elif kind == "T":
            count_relations = msg.num("i")
            msg.byte()  # options (CASCADE, RESTART IDENTITY)
            relids = [msg.num("I") for _ in range(count_relations)]
            if any(r in positions for r in relids):
                raise ConfigError(
                    f"{qualified} was truncated at the source and CDC cannot replay a TRUNCATE; run a full "
                    f"refresh of the stream: marketplace-elt el sync --stream {stream} --full-refresh"
                )
        elif kind in "IUD" and (pos := positions.get(msg.num("I"))) is not None:
            count += 1
            old = new = None
            if msg.byte() in "KO":  # the old key ('K') or old row ('O') of an update or a delete
                old = msg.tuple()
                if kind == "U" and msg.byte() == "N":
                    new = msg.tuple()
            else:  # 'N': the new row of an insert, or of an update that kept its key
                new = msg.tuple()
            old_key = _key(old, pos)
            new_key = None if kind == "D" else _key(new, pos) or old_key  # an unchanged TOASTed key: old key
            if (old_key if kind == "D" else new_key) is None:
                raise ConfigError(
                    f"a change to {qualified} does not carry its primary key {list(primary_key)}; run "
                    f"ALTER TABLE {qualified} REPLICA IDENTITY DEFAULT, then a full refresh of stream {stream}"
                )
            if old_key is not None and old_key != new_key:  # a delete, or an update of the key
                latest[old_key] = False
            if new_key is not None:
                latest[new_key] = True
    upserted = frozenset(k for k, present in latest.items() if present)
    return Changes(upserted, frozenset(latest.keys() - upserted), count, last_lsn)


def advance(conn: psycopg.Connection[Any], stream: str, lsn: str) -> None:
    """Confirm everything up to ``lsn`` (a peeked ``last_lsn``): the slot frees it for good."""
    conn.execute("SELECT pg_replication_slot_advance(%s, %s::pg_lsn)", [slot_name(stream), lsn])


def drop_capture(conn: psycopg.Connection[Any], stream: str) -> None:
    """Drop the stream's slot and publication, whichever exist (idempotent)."""
    slot = slot_name(stream)
    conn.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = %s", [slot])
    try:
        with conn.transaction():
            conn.execute("SET TRANSACTION READ WRITE")  # as in ensure_capture
            conn.execute(sql.SQL("DROP PUBLICATION IF EXISTS {}").format(sql.Identifier(slot)))
    except psycopg.errors.InsufficientPrivilege:
        raise ConfigError(
            f"role {conn.info.user} may not drop publication {slot} (it is not its owner); "
            f"run DROP PUBLICATION {slot} as its owner"
        ) from None
