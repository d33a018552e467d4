"""The file contracts (landing/streams/*.yml): what they declare, and one clear line for a bad one."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from marketplace_elt.el import load_catalog
from marketplace_elt.errors import ConfigError
from marketplace_elt.landing.contract import CONTRACT_DIR, load_contract, parse_contract

STREAMS = {p.stem: yaml.safe_load(p.read_text()) for p in sorted(CONTRACT_DIR.glob("*.yml"))}


def test_the_three_provider_files_are_declared() -> None:
    contract = load_contract()
    assert {s.name: s.file_name(date(2026, 10, 15)) for s in contract.streams} == {
        "provider_events": "events_20261015.csv",
        "provider_transactions": "transactions_20261015.csv",
        "provider_settlements": "settlement_20261015.csv",
    }
    assert contract.stream("provider_events").column_names == [
        "event_id",
        "transaction_id",
        "file_name",
        "status",
        "event_time",
    ]
    assert contract.stream("provider_transactions").column_names == [
        "transaction_id",
        "amount",
        "customer_id",
        "load_time",
    ]
    assert contract.stream("provider_settlements").column_names == [
        "settlement_id",
        "payment_provider_id",
        "amount",
        "currency",
        "settled_at",
    ]
    for stream in contract.streams:
        assert stream.description and stream.why and stream.key
        assert all(c.landing_type == "string" for c in stream.columns), "every column lands as string"
    amount = contract.stream("provider_transactions").column("amount")
    assert amount.intended_type == "numeric"
    assert contract.stream("provider_events").column("event_time").intended_type == "timestamp"


def test_settlements_point_at_the_platforms_payments() -> None:
    settlements = load_contract().stream("provider_settlements")
    assert settlements.column("payment_provider_id").references == "payments.payment_provider_id"
    assert "payment_provider_id" in load_catalog().stream("payments").column_names


def test_file_names_belong_to_one_stream_and_carry_their_day() -> None:
    contract = load_contract()
    events = contract.stream("provider_events")
    assert contract.stream_of("events_20261015.csv") is events
    assert events.file_date("events_20261015.csv") == date(2026, 10, 15)
    assert contract.stream_of("events_20261345.csv") is events and events.file_date("events_20261345.csv") is None
    for other in ("events_20261015_v2.csv", "events_2026-10-15.csv", ".events_20261015.csv.tmp-1", "notes.txt"):
        assert contract.stream_of(other) is None, other


def _with(stream: str, change: Any) -> dict[str, Any]:
    declarations = copy.deepcopy(STREAMS)
    change(declarations[stream])
    return declarations


BAD = [
    (lambda d: d.pop("file_pattern"), "provider_events.yml: file_pattern None must contain {YYYYMMDD}"),
    (lambda d: d.update(file_pattern="events.csv"), "must contain {YYYYMMDD} once"),
    (lambda d: d.update(file_pattern="events {YYYYMMDD}.csv"), "must end in .csv and use only letters"),
    (lambda d: d.update(key=["nope"]), "key column 'nope' is not among the columns; declare it"),
    (lambda d: d.update(why=""), "needs a short `why`"),
    (lambda d: d.update(colour="red"), "the stream has unknown key(s) colour; use "),
    (lambda d: d["columns"]["status"].update(landing="numeric"), "column status has landing type 'numeric'"),
    (lambda d: d["columns"]["status"].update(intended="money"), "intended type 'money'; use one of string"),
    (lambda d: d["columns"]["status"].update(values=["OK"]), "values must list the accepted values in lower case"),
    (lambda d: d["columns"]["event_time"].update(format="iso"), "format must be a strftime pattern"),
    (lambda d: d["columns"].update(_load_id={"landing": "string", "intended": "string"}), "(no leading _)"),
    (lambda d: d["columns"]["event_id"].update(references="payments.nope"), "payments has no column 'nope'"),
    (lambda d: d["columns"]["event_id"].update(references="refunds.id"), "references unknown stream 'refunds'"),
    (lambda d: d["columns"]["event_id"].update(kind="id"), "column event_id has unknown key(s) kind"),
]


@pytest.mark.parametrize(("change", "says"), BAD)
def test_a_bad_declaration_is_one_line_naming_file_key_and_fix(change: Any, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_contract(_with("provider_events", change))
    message = str(err.value)
    assert message.startswith("landing/streams/provider_events.yml: "), message
    assert says in message and "\n" not in message


def test_streams_cannot_share_file_names_or_raw_tables() -> None:
    clash = _with("provider_events", lambda d: d.update(file_pattern="transactions_{YYYYMMDD}.csv"))
    with pytest.raises(ConfigError, match="also matches provider_transactions's"):
        parse_contract(clash)
    with pytest.raises(ConfigError, match="'payments' is already a table of the raw dataset"):
        parse_contract({**STREAMS, "payments": STREAMS["provider_events"]})


def test_a_broken_file_and_an_empty_folder_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "provider_events.yml").write_text("description: [unclosed\n")
    with pytest.raises(ConfigError, match=r"provider_events.yml is not valid YAML at line \d; fix the syntax"):
        load_contract(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match=r"declares no file streams; add <stream>\.yml files to"):
        load_contract(empty)
