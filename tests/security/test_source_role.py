"""Extract-load reads the source as the read-only replication role, and that role cannot write.

The role's sessions are read-only by default (source_db/roles.sql), but a client can switch that off
for its own session, so the real boundary is the privileges: the writes below are attempted in a
read-write transaction and must fail with InsufficientPrivilege.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import psycopg
import pytest
from psycopg import errors

from marketplace_elt.settings import Settings

WRITES = [
    "INSERT INTO categories (name, slug, level, created_at) VALUES ('x', 'x-security-test', 1, now())",
    "UPDATE users SET first_name = 'x'",
    "DELETE FROM payments",
    "TRUNCATE event_log",
    "CREATE TABLE public.security_probe (id int)",
]


def test_extract_load_connects_as_the_replicator_by_default(settings: Settings) -> None:
    assert urlsplit(settings.source_db_url).username == "marketplace_replicator"
    assert urlsplit(settings.source_admin_url).username != "marketplace_replicator"


def test_the_replicator_reads_the_source(seeded_source: Settings) -> None:
    with psycopg.connect(seeded_source.source_db_url, autocommit=True) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("marketplace_replicator",)
        row = conn.execute("SELECT count(*) FROM users").fetchone()
        assert row and row[0] > 0


def test_the_replicator_cannot_insert_even_in_a_read_write_session(seeded_source: Settings) -> None:
    with psycopg.connect(seeded_source.source_db_url) as conn:
        with pytest.raises((errors.InsufficientPrivilege, errors.ReadOnlySqlTransaction)):
            conn.execute(WRITES[0])  # the session default (read-only) refuses first
        conn.rollback()
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
        conn.commit()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(WRITES[0])


@pytest.mark.parametrize("statement", WRITES[1:], ids=lambda s: s.split()[0].lower())
def test_the_replicator_cannot_change_anything(seeded_source: Settings, statement: str) -> None:
    with psycopg.connect(seeded_source.source_db_url) as conn:
        conn.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE")
        conn.commit()
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(statement)
