"""The COPY -> Arrow -> Parquet pipeline fails loudly (never with partial data) and never hangs."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest
from psycopg import sql

from marketplace_elt.el.columns import Column
from marketplace_elt.el.extract import _copy_to_parquet, connect_source
from marketplace_elt.settings import Settings

ROWS = "SELECT i, 'row ' || i AS label FROM generate_series(1, 200000) AS i"
COLUMNS = [Column("i", "integer", "INT64"), Column("label", "text", "STRING")]


def _copy(query: str) -> sql.Composed:
    return sql.SQL("COPY ({}) TO STDOUT (FORMAT csv, HEADER)").format(sql.SQL(query))


@pytest.mark.timeout(120)
def test_pipeline_writes_every_row(el_settings: Settings, tmp_path: Path) -> None:
    with connect_source(el_settings) as conn:
        rows, best, future = _copy_to_parquet(conn, _copy(ROWS), tmp_path / "t.parquet", COLUMNS, "i", None)
    assert (rows, best, future) == (200000, 200000, 0)
    assert pq.read_table(tmp_path / "t.parquet").num_rows == 200000


@pytest.mark.timeout(120)
def test_a_copy_failing_midway_raises(el_settings: Settings, tmp_path: Path) -> None:
    failing = "SELECT i, (1 / (i - 150000))::text AS label FROM generate_series(1, 200000) AS i"
    with connect_source(el_settings) as conn, pytest.raises(psycopg.errors.DivisionByZero):
        _copy_to_parquet(conn, _copy(failing), tmp_path / "t.parquet", COLUMNS, "i", None)


@pytest.mark.timeout(120)
def test_a_value_arrow_cannot_parse_raises_without_hanging(el_settings: Settings, tmp_path: Path) -> None:
    wrong = [Column("i", "integer", "INT64"), Column("label", "integer", "INT64")]  # labels are text
    with connect_source(el_settings) as conn, pytest.raises(Exception, match=r"label|conversion|integer"):
        _copy_to_parquet(conn, _copy(ROWS), tmp_path / "t.parquet", wrong, "i", None)
