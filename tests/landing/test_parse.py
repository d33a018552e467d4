"""Splitting a provider file into accepted rows and rejected lines (no services needed)."""

from __future__ import annotations

import pytest

from marketplace_elt.landing.contract import load_contract
from marketplace_elt.landing.parse import ParsedFile, parse

TRANSACTIONS = load_contract().stream("provider_transactions")
HEADER = "transaction_id,amount,customer_id,load_time\n"


def reasons(parsed: ParsedFile) -> dict[int, str]:
    return {r.row_number: r.reason for r in parsed.rejects}


def test_messy_values_are_kept_exactly_and_structural_problems_rejected() -> None:
    text = (
        (
            "\ufeffTransaction_ID , Amount,customer_id,load_time\r\n"  # BOM, header casing and spaces, CRLF
            'pi_1,"$1,234.50",u_1,2026-10-15 08:00:00\r\n'
            '"pi_2","1.234,50",u_2,15/10/2026 25:00\n'
            "pi_3, 12 ,N/A,\n"
            "pi_3, 12 ,N/A,\n"  # the same line again
            "\n"
            "pi_4,10.00,u_4\n"  # a field short
            'pi_5,"10.00,u_5,2026-10-15 08:00:00\n'  # quote left open
            "N/A,3.00,u_6,2026-10-15 08:00:00\n"  # no key
            "pi_7,1.00,u_7,2026-10-15 08:00:00,surplus\n"
        ).encode()
        + b"pi_8,\xff\xfe,u_8,2026-10-15\n"
        + b"pi_9,5.00,u_9,2026-10-15 0"
    )
    parsed = parse(text, TRANSACTIONS)
    parsed.check("transactions")
    assert parsed.lines == 11 and parsed.accepted == 4
    assert reasons(parsed) == {
        5: "duplicate_row",
        6: "empty_line",
        7: "wrong_field_count",
        8: "unterminated_quote",
        9: "missing_key:transaction_id",
        10: "wrong_field_count",
        11: "invalid_encoding",
    }
    assert parsed.rows["_row_number"] == [2, 3, 4, 12]
    assert parsed.rows["amount"] == ["$1,234.50", "1.234,50", " 12 ", "5.00"]
    assert parsed.rows["customer_id"][2] == "N/A" and parsed.rows["load_time"][2] == ""
    assert parsed.rows["load_time"][1] == "15/10/2026 25:00"
    assert parsed.rows["load_time"][3] == "2026-10-15 0", "a cut that leaves every field is not detectable"
    assert parsed.schema_drift is None
    assert next(r for r in parsed.rejects if r.row_number == 11).raw_line == "pi_8,\\xff\\xfe,u_8,2026-10-15"


@pytest.mark.parametrize(
    ("last", "reason"),
    [("pi_9,5.00,u_9", "truncated_line"), ('pi_9,"5,', "truncated_line")],
)
def test_a_last_line_cut_short_is_truncated(last: str, reason: str) -> None:
    parsed = parse(f"{HEADER}pi_1,1.00,u_1,x\n{last}".encode(), TRANSACTIONS)
    assert parsed.lines == 2 and parsed.accepted == 1 and reasons(parsed) == {3: reason}
    # the same line with its line break is an ordinary bad line
    whole = parse(f"{HEADER}pi_1,1.00,u_1,x\n{last}\n".encode(), TRANSACTIONS)
    assert reasons(whole)[3] in ("wrong_field_count", "unterminated_quote")


def test_header_problems_reject_the_whole_file() -> None:
    body = "pi_1,1.00,2026-10-15\npi_2,2.00,2026-10-15\n"
    missing = parse(("transaction_id,amount,load_time\n" + body).encode(), TRANSACTIONS)
    assert missing.file_reason == "missing_column:customer_id" and missing.accepted == 0
    assert reasons(missing) == {2: "missing_column:customer_id", 3: "missing_column:customer_id"}
    assert missing.schema_drift == {"missing_columns": ["customer_id"]}
    doubled = parse(b"transaction_id,amount,amount,customer_id,load_time\n1,2,3,4,5\n", TRANSACTIONS)
    assert doubled.file_reason == "duplicate_column:amount" and doubled.rejected == 1
    assert parse(b"", TRANSACTIONS).file_reason == "empty_file"
    assert parse(b"\npi_1,1,u,x\n", TRANSACTIONS).file_reason == "missing_header"
    assert parse(HEADER.encode(), TRANSACTIONS).file_reason is None, "a day without transactions is a file"
    assert parse((HEADER + "pi_1,1,u,x\n").encode(), TRANSACTIONS, valid_name=False).file_reason == (
        "invalid_file_date"
    )


def test_extra_and_reordered_columns_load_by_name() -> None:
    parsed = parse(b"load_time,transaction_id,fee,amount,customer_id\nt1,pi_1,0.30,9.99,u_1\n", TRANSACTIONS)
    assert parsed.file_reason is None and parsed.accepted == 1
    assert parsed.schema_drift == {"extra_columns": ["fee"], "reordered": True}
    assert (parsed.rows["transaction_id"], parsed.rows["amount"], parsed.rows["load_time"]) == (
        ["pi_1"],
        ["9.99"],
        ["t1"],
    )
    assert parsed.rows["_extra_columns"] == ['{"fee": "0.30"}']
