"""The nine source tables, in load order (every table after the tables it references)."""

from __future__ import annotations

from pathlib import Path

from marketplace_elt.settings import PROJECT_ROOT

TABLES: tuple[str, ...] = (
    "users",
    "categories",
    "seller_tier_history",
    "products",
    "orders",
    "order_items",
    "payments",
    "reviews",
    "event_log",
)

# Tables with a generated (serial / bigserial) id: the generator writes explicit ids and then moves
# the sequence past them, so reseeding with the same seed reproduces the same ids.
SERIAL_IDS: tuple[str, ...] = ("categories", "seller_tier_history", "event_log")

# Schema that holds the simulator's own bookkeeping (clock, fault manifest, planned order
# lifecycles). Extract-load reads only the `public` schema and the replication role cannot see it.
META_SCHEMA = "meta"

SOURCE_DB_DIR: Path = PROJECT_ROOT / "source_db"
SCHEMA_SQL: Path = SOURCE_DB_DIR / "schema.sql"
ROLES_SQL: Path = SOURCE_DB_DIR / "roles.sql"
META_SQL: Path = SOURCE_DB_DIR / "meta.sql"
