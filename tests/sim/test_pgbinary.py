"""Binary COPY encoding: every column kind, with NULLs and edge values, reads back as written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa


def test_round_trip(owner: psycopg.Connection[Any]) -> None:
    from marketplace_sim.columns import NEVER, string_lists, uuids
    from marketplace_sim.pgbinary import Frame, copy_frame

    owner.execute(
        "CREATE TEMP TABLE kinds (u uuid, i4 integer, i8 bigint, b boolean, t timestamptz, n timestamp,"
        " m numeric(12, 2), s varchar(20), c char(3), x text, j jsonb, a text[])"
    )
    ids = uuids(np.random.default_rng(1), 4)
    frame = (
        Frame(4)
        .uuid("u", ids, np.array([False, False, False, True]))
        .integer("i4", np.array([1, -2, 2**31 - 1, 0]), np.array([False, False, False, True]))
        .integer("i8", np.array([2**40, -1, 0, 7]))
        .boolean("b", np.array([True, False, True, False]))
        .ts("t", np.array([0, 1_793_491_200_000_001, -1, NEVER]))
        .ts("n", np.array([946_684_800_000_000, NEVER, 5, 6]))
        .money("m", np.array([0, -1, 999_999_999_999, 1234]), np.array([False, False, False, True]))
        .text("s", pa.array(["a", "", None, "ünïcode"]))
        .text("c", np.array([b"USD", b"EUR", b"XXX", b"JPY"]), np.array([False, True, False, False]))
        .text("x", pa.array(["x" * 300, "y", "z", "w"]), np.array([False, False, True, False]))
        .json("j", pa.array(['{"k": 1}', "[]", None, '"s"']))
        .text_array(
            "a",
            string_lists(np.array([0, 2, 2, 3, 3], dtype=np.int32), pa.array(["p", "q", "r"])),
            np.array([False, False, False, True]),
        )
    )
    assert copy_frame(owner, "kinds", frame, schema="pg_temp") == 4
    rows = owner.execute(
        "SELECT u::text, i4, i8, b, (extract(epoch FROM t) * 1e6)::int8, n::text, m, s, c, x, j::text, a"
        " FROM kinds ORDER BY i8"
    ).fetchall()
    by_i8 = {r[2]: r for r in rows}
    first = by_i8[2**40]
    assert first[1] == 1 and first[3] is True and first[4] == 0 and first[5] == "2000-01-01 00:00:00"
    assert first[6] == Decimal("0.00") and first[7] == "a" and first[8] == "USD" and first[9] == "x" * 300
    assert first[10] == '{"k": 1}' and first[11] == ["p", "q"]
    second = by_i8[-1]
    assert second[1] == -2 and second[4] == 1_793_491_200_000_001 and second[5] is None
    assert second[6] == Decimal("-0.01") and second[7] == "" and second[8] is None and second[11] == []
    third = by_i8[0]
    assert third[1] == 2**31 - 1 and third[4] == -1 and third[6] == Decimal("9999999999.99")
    assert third[7] is None and third[9] is None and third[10] is None and third[11] == ["r"]
    fourth = by_i8[7]
    assert fourth[0] is None and fourth[1] is None and fourth[4] is None and fourth[6] is None
    assert fourth[7] == "ünïcode" and fourth[10] == '"s"' and fourth[11] is None
    assert first[0] == str(__import__("uuid").UUID(bytes=bytes(ids[0])))
