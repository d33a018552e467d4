"""The source tables, in load order (every table after the tables it references).

Both lists come from the stream catalog (airbyte/streams/*.yml): the simulated source has exactly
the tables extract-load syncs.
"""

from __future__ import annotations

from pathlib import Path

from marketplace_elt.el.catalog import load_catalog
from marketplace_elt.settings import PROJECT_ROOT

TABLES: tuple[str, ...] = tuple(load_catalog().names)

# Tables with a generated (serial / bigserial) id, i.e. an integer primary key: the generator writes
# explicit ids and then moves the sequence past them, so reseeding with the same seed reproduces the
# same ids.
SERIAL_IDS: tuple[str, ...] = tuple(
    s.name
    for s in load_catalog().streams
    if len(s.primary_key) == 1 and s.column(s.primary_key[0]).source_type in ("int2", "int4", "int8")
)

# Schema that holds the simulator's own bookkeeping (clock, fault manifest, planned order
# lifecycles). Extract-load reads only the `public` schema and the replication role cannot see it.
META_SCHEMA = "meta"

SOURCE_DB_DIR: Path = PROJECT_ROOT / "source_db"
SCHEMA_SQL: Path = SOURCE_DB_DIR / "schema.sql"
ROLES_SQL: Path = SOURCE_DB_DIR / "roles.sql"
META_SQL: Path = SOURCE_DB_DIR / "meta.sql"
