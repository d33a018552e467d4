"""Read-only look-ups in the source PostgreSQL that gates compare BigQuery against.

Connects with ``settings.source_db_url`` (the read-only replicator role), never the owner URL: a
gate must not be able to change the source it audits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from marketplace_elt.errors import ServiceError
from marketplace_elt.settings import Settings


class SourceReader:
    """A lazily opened read-only connection; use as a context manager."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._conn: Any = None

    def __enter__(self) -> SourceReader:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> Any:
        if self._conn is None:
            import psycopg

            try:
                self._conn = psycopg.connect(self.settings.source_db_url, connect_timeout=10, autocommit=True)
            except psycopg.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ServiceError(
                    f"cannot read the source database ({first}); check SOURCE_DB_URL and that it is running"
                ) from None
            self._conn.execute("SET default_transaction_read_only = on")
        return self._conn

    def count(self, table: str, distinct: str | None = None) -> int:
        """Rows of ``public.<table>`` (or distinct non-NULL values of one column)."""
        from psycopg import sql

        counted = sql.SQL("COUNT(DISTINCT {})").format(sql.Identifier(distinct)) if distinct else sql.SQL("COUNT(*)")
        query = sql.SQL("SELECT {} FROM {}").format(counted, sql.Identifier("public", table))
        row = self._connection().execute(query).fetchone()
        return int(row[0])

    def columns(self, tables: Iterable[str]) -> dict[str, list[tuple[str, str, str]]]:
        """``table -> [(column, data_type, udt_name), ...]`` in ordinal order, for the given tables."""
        rows = (
            self._connection()
            .execute(
                "SELECT table_name, column_name, data_type, udt_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = ANY(%s) ORDER BY table_name, ordinal_position",
                [list(tables)],
            )
            .fetchall()
        )
        out: dict[str, list[tuple[str, str, str]]] = {}
        for table, column, data_type, udt in rows:
            out.setdefault(table, []).append((column, data_type, udt))
        return out
