"""The bronze load on hand-made provider files (real BigQuery emulator).

Tests run in order and share one raw dataset and landing directory: each builds on the load before.
The files look like a provider's: quoted amounts in several locales, enum casing, sentinels, a bad
timestamp, a duplicate, a blank line, a truncated last line, a missing and an extra column, a
reordered header, a file whose name is no date, and files that are not provider files at all.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from marketplace_elt.bigquery import client, query_rows
from marketplace_elt.errors import UserError
from marketplace_elt.landing import bronze, manifest
from marketplace_elt.landing.bronze import load
from marketplace_elt.landing.parse import split_lines
from marketplace_elt.settings import Settings
from tests.landing.drops import write

EVENTS = (
    "event_id,transaction_id,file_name,status,event_time\r\n"
    "evt_a1,pi_1,events_20261015.csv,completed,2026-10-15T08:00:01Z\r\n"
    "evt_a2,pi_2,events_20261015.csv, COMPLETED ,2026-10-15T08:05:12Z\r\n"
    "evt_a3,pi_3,events_20261015.csv,Failed,not a timestamp\r\n"
    "evt_a4,pi_4,N/A,refunded,2026-10-15T09:00:00Z\r\n"
    "evt_a4,pi_4,N/A,refunded,2026-10-15T09:00:00Z\r\n"
    "\r\n"
    "evt_a5,pi_5,events_20261015.csv,NULL,2026-10-15T10:00:00Z\r\n"
)
TRANSACTIONS = (
    "transaction_id,amount,customer_id,load_time\n"
    'pi_1,"$1,234.50",u_1,2026-10-15 08:00:03\n'
    'pi_2,"1.234,50",u_2,2026-10-15 08:05:14\n'
    "pi_3, 12 ,u_3,2026-10-15 08:10:00\n"
    "pi_4,N/A,u_4,2026-10-15 09:00:02\n"
    "pi_5,,u_5,2026-10-15 10:00:01\n"
    "pi_6,7.00,u_6\n"
    ",8.00,u_7,2026-10-15 11:00:00\n"
    'pi_9,"9.00,u_9,2026-10-15 11:30:00\n'
    "pi_10,10.00,u_1"  # the provider's upload was cut here
)
SETTLEMENT_WITHOUT_CURRENCY = (
    "settlement_id,payment_provider_id,amount,settled_at\n"
    "stl_1,pi_1,1234.50,2026-10-16T02:00:01+0000\n"
    "stl_2,pi_2,1234.50,2026-10-16T02:00:02+0000\n"
    "stl_3,pi_x,5.00,2026-10-16T02:00:03+0000\n"
)
TRANSACTIONS_WITH_FEE = (
    "transaction_id,amount,customer_id,load_time,fee\npi_20,20.00,u_2,2026-10-16 08:00:00,0.58\n"
    "pi_21,21.00,u_3,2026-10-16 09:00:00,0.61\n"
)
EVENTS_REORDERED = "event_time,event_id,status,transaction_id,file_name\n2026-10-16T08:00:00Z,evt_b1,ok,pi_20,x\n"

EXPECTED_REJECTS = {
    "events_20261015.csv": {6: "duplicate_row", 7: "empty_line"},
    "transactions_20261015.csv": {
        7: "wrong_field_count",
        8: "missing_key:transaction_id",
        9: "unterminated_quote",
        10: "truncated_line",
    },
    "settlement_20261015.csv": dict.fromkeys((2, 3, 4), "missing_column:currency"),
    "events_20261345.csv": {2: "invalid_file_date"},
}


def raw(settings: Settings, sql: str) -> list[dict[str, Any]]:
    return query_rows(settings, sql.format(raw=f"`{settings.bq_project}.{settings.raw_dataset}`"))


def history(settings: Settings) -> list[manifest.ManifestEntry]:
    return manifest.entries(client(settings), settings)


def data_lines(path: Path) -> int:
    return len(split_lines(path.read_bytes())[0]) - 1


@pytest.fixture(scope="module")
def landing(landing_settings: Settings) -> Path:
    directory = landing_settings.landing_dir
    write(directory, "events_20261015.csv", EVENTS)
    write(directory, "transactions_20261015.csv", TRANSACTIONS)
    write(directory, "settlement_20261015.csv", SETTLEMENT_WITHOUT_CURRENCY)
    write(directory, "transactions_20261016.csv", TRANSACTIONS_WITH_FEE)
    write(directory, "events_20261016.csv", EVENTS_REORDERED)
    write(directory, "events_20261345.csv", "event_id,transaction_id,file_name,status,event_time\ne,t,f,s,x\n")
    write(directory, "notes.txt", "not a provider file\n")
    write(directory, ".transactions_20261017.csv.tmp-1a2b", "transaction_id\n")  # being written
    return directory


@pytest.fixture(scope="module")
def first_load(landing_settings: Settings, landing: Path) -> dict[str, bronze.FileLoad]:
    return {r.entry.file_name: r for r in load(landing_settings)}


def test_every_provider_file_is_loaded_once_and_nothing_else(first_load: dict[str, bronze.FileLoad]) -> None:
    assert set(first_load) == {
        "events_20261015.csv",
        "transactions_20261015.csv",
        "settlement_20261015.csv",
        "events_20261016.csv",
        "transactions_20261016.csv",
        "events_20261345.csv",
    }
    assert {r.action for r in first_load.values()} == {"loaded"}
    statuses = {name: (r.entry.status, r.entry.reason) for name, r in first_load.items()}
    assert statuses["settlement_20261015.csv"] == ("rejected", "missing_column:currency")
    assert statuses["events_20261345.csv"] == ("rejected", "invalid_file_date")
    assert statuses["transactions_20261015.csv"] == ("loaded", None)


def test_lines_are_accepted_plus_rejected_in_the_manifest_and_in_raw(
    landing_settings: Settings, landing: Path, first_load: dict[str, bronze.FileLoad]
) -> None:
    entries = {e.file_name: e for e in history(landing_settings)}
    rows = raw(landing_settings, "SELECT _source_file AS f, COUNT(*) AS n FROM {raw}.provider_transactions GROUP BY 1")
    rows += raw(landing_settings, "SELECT _source_file AS f, COUNT(*) AS n FROM {raw}.provider_events GROUP BY 1")
    accepted_in_raw = Counter({r["f"]: r["n"] for r in rows})
    rejected_in_raw = Counter(
        {
            r["f"]: r["n"]
            for r in raw(
                landing_settings, "SELECT source_file AS f, COUNT(*) AS n FROM {raw}.landing_rejects GROUP BY 1"
            )
        }
    )
    for name, entry in entries.items():
        assert entry.lines == data_lines(landing / name) == entry.accepted + entry.rejected, name
        assert accepted_in_raw[name] == entry.accepted and rejected_in_raw[name] == entry.rejected, name
        assert len(entry.content_sha256) == 64 and entry.size_bytes == (landing / name).stat().st_size
    assert (entries["events_20261015.csv"].accepted, entries["transactions_20261015.csv"].accepted) == (5, 5)


def test_each_reject_has_its_reason_and_raw_line(landing_settings: Settings, first_load: dict) -> None:
    rejects = raw(landing_settings, "SELECT * FROM {raw}.landing_rejects ORDER BY source_file, row_number")
    found: dict[str, dict[int, str]] = {}
    for r in rejects:
        found.setdefault(r["source_file"], {})[r["row_number"]] = r["reason"]
    assert found == EXPECTED_REJECTS
    lines = {(r["source_file"], r["row_number"]): r["raw_line"] for r in rejects}
    assert lines[("transactions_20261015.csv", 10)] == "pi_10,10.00,u_1"
    assert lines[("events_20261015.csv", 7)] == ""
    assert lines[("settlement_20261015.csv", 4)] == "stl_3,pi_x,5.00,2026-10-16T02:00:03+0000"
    assert {r["stream"] for r in rejects if r["source_file"].startswith("settlement")} == {"provider_settlements"}


def test_values_land_exactly_as_delivered_with_audit_columns(landing_settings: Settings, first_load: dict) -> None:
    rows = raw(
        landing_settings,
        "SELECT * FROM {raw}.provider_transactions WHERE _source_file = 'transactions_20261015.csv' "
        "ORDER BY _row_number",
    )
    assert [r["amount"] for r in rows] == ["$1,234.50", "1.234,50", " 12 ", "N/A", ""]
    assert [r["_row_number"] for r in rows] == [2, 3, 4, 5, 6]
    load_id = first_load["transactions_20261015.csv"].entry.load_id
    assert {r["_load_id"] for r in rows} == {load_id}
    assert all(len(r["_row_hash"]) == 64 and r["_superseded_at"] is None and r["_ingested_at"] for r in rows)
    statuses = raw(landing_settings, "SELECT status FROM {raw}.provider_events ORDER BY _source_file, _row_number")
    assert [r["status"] for r in statuses] == ["completed", " COMPLETED ", "Failed", "refunded", "NULL", "ok"]


def test_an_extra_column_loads_and_is_recorded_as_drift(landing_settings: Settings, first_load: dict) -> None:
    entry = first_load["transactions_20261016.csv"].entry
    assert (entry.status, entry.schema_drift) == ("loaded", {"extra_columns": ["fee"]})
    rows = raw(
        landing_settings,
        "SELECT transaction_id, _extra_columns FROM {raw}.provider_transactions "
        "WHERE _source_file = 'transactions_20261016.csv' ORDER BY _row_number",
    )
    assert [(r["transaction_id"], r["_extra_columns"]) for r in rows] == [
        ("pi_20", '{"fee": "0.58"}'),
        ("pi_21", '{"fee": "0.61"}'),
    ]
    reordered = first_load["events_20261016.csv"].entry
    assert (reordered.status, reordered.schema_drift) == ("loaded", {"reordered": True})
    event = raw(landing_settings, "SELECT * FROM {raw}.provider_events WHERE _source_file = 'events_20261016.csv'")
    assert (event[0]["event_id"], event[0]["event_time"], event[0]["file_name"]) == (
        "evt_b1",
        "2026-10-16T08:00:00Z",
        "x",
    )


def test_rerunning_loads_nothing_new(landing_settings: Settings, first_load: dict) -> None:
    before = raw(landing_settings, "SELECT COUNT(*) AS n FROM {raw}.landing_manifest")[0]["n"]
    again = load(landing_settings)
    assert {r.action for r in again} == {"unchanged"}
    assert {r.entry.load_id for r in again} == {r.entry.load_id for r in first_load.values()}
    assert raw(landing_settings, "SELECT COUNT(*) AS n FROM {raw}.landing_manifest")[0]["n"] == before
    assert raw(landing_settings, "SELECT COUNT(*) AS n FROM {raw}.provider_transactions")[0]["n"] == 7


CORRECTED_TRANSACTIONS = (
    "transaction_id,amount,customer_id,load_time\n"
    "pi_1,1234.50,u_1,2026-10-15 08:00:03\n"
    "pi_2,1234.50,u_2,2026-10-15 08:05:14\n"
    "pi_3,12.00,u_3,2026-10-15 08:10:00\n"
    "pi_4,4.00,u_4,2026-10-15 09:00:02\n"
    "pi_5,5.00,u_5,2026-10-15 10:00:01\n"
    "pi_6,7.00,u_6,2026-10-15 10:30:00\n"
    "pi_10,10.00,u_10,2026-10-15 12:00:00\n"
)


def test_a_load_that_fails_mid_commit_leaves_nothing_behind(
    landing_settings: Settings, landing: Path, first_load: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(landing, "transactions_20261015.csv", CORRECTED_TRANSACTIONS)  # re-delivered under the same name
    real = manifest.commit_sql

    def dies_before_commit(*args: Any, **kwargs: Any) -> str:
        # every statement of the transaction ran; the process dies before COMMIT
        return real(*args, **kwargs).replace("COMMIT TRANSACTION;", "SELECT ERROR('loader killed');")

    monkeypatch.setattr(manifest, "commit_sql", dies_before_commit)
    with pytest.raises(Exception, match="loader killed"):
        load(landing_settings, ["provider_transactions"])
    current = manifest.current(client(landing_settings), landing_settings)
    assert current[("provider_transactions", "transactions_20261015.csv")].load_id == (
        first_load["transactions_20261015.csv"].entry.load_id
    )
    rows = raw(
        landing_settings,
        "SELECT COUNT(*) AS n, COUNTIF(_superseded_at IS NOT NULL) AS gone FROM {raw}.provider_transactions",
    )
    assert (rows[0]["n"], rows[0]["gone"]) == (7, 0), "the transaction's updates and inserts were rolled back"
    tables = [t.table_id for t in client(landing_settings).list_tables(landing_settings.raw_dataset)]
    assert not [t for t in tables if t.startswith("_landing_staging_")], "staging tables are dropped"


def test_a_redelivery_supersedes_the_first_delivery_without_duplicates(
    landing_settings: Settings, landing: Path, first_load: dict
) -> None:
    old = first_load["transactions_20261015.csv"].entry
    results = {r.entry.file_name: r for r in load(landing_settings)}
    redelivery = results["transactions_20261015.csv"]
    assert redelivery.action == "redelivered" and redelivery.previous is not None
    assert redelivery.previous.load_id == old.load_id
    new = redelivery.entry
    assert (new.lines, new.accepted, new.rejected) == (7, 7, 0)
    assert {r.action for name, r in results.items() if name != "transactions_20261015.csv"} == {"unchanged"}

    deliveries = [e for e in history(landing_settings) if e.file_name == "transactions_20261015.csv"]
    assert [(e.load_id, e.superseded_by) for e in deliveries] == [(old.load_id, new.load_id), (new.load_id, None)]
    assert deliveries[0].superseded_at is not None and deliveries[0].content_sha256 != deliveries[1].content_sha256

    # what dbt staging reads: the current rows, one per key, all from the re-delivery
    current = raw(
        landing_settings,
        "SELECT transaction_id, amount, _load_id FROM {raw}.provider_transactions WHERE _superseded_at IS NULL",
    )
    keys = [r["transaction_id"] for r in current]
    assert len(keys) == len(set(keys)) == 7 + 2
    assert {r["_load_id"] for r in current if r["transaction_id"] in ("pi_1", "pi_10")} == {new.load_id}
    # the first delivery stays as history, marked superseded, rejects included
    superseded = raw(
        landing_settings,
        "SELECT _load_id, COUNT(*) AS n FROM {raw}.provider_transactions WHERE _superseded_at IS NOT NULL GROUP BY 1",
    )
    assert [(r["_load_id"], r["n"]) for r in superseded] == [(old.load_id, 5)]
    rejects = raw(
        landing_settings,
        "SELECT COUNTIF(_superseded_at IS NULL) AS live, COUNT(*) AS n FROM {raw}.landing_rejects "
        "WHERE source_file = 'transactions_20261015.csv'",
    )
    assert (rejects[0]["live"], rejects[0]["n"]) == (0, 4)
    assert {r.action for r in load(landing_settings)} == {"unchanged"}, "the re-delivery is loaded once too"


def test_a_rejected_file_is_replaced_by_its_corrected_delivery(landing_settings: Settings, landing: Path) -> None:
    write(
        landing,
        "settlement_20261015.csv",
        "settlement_id,payment_provider_id,amount,currency,settled_at\n"
        "stl_1,pi_1,1234.50,USD,2026-10-16T02:00:01+0000\n"
        "stl_2,pi_2,1234.50,EUR,2026-10-16T02:00:02+0000\n",
    )
    (result,) = load(landing_settings, ["provider_settlements"])
    assert (result.action, result.entry.status, result.entry.accepted) == ("redelivered", "loaded", 2)
    live = raw(
        landing_settings,
        "SELECT COUNT(*) AS n FROM {raw}.landing_rejects "
        "WHERE source_file = 'settlement_20261015.csv' AND _superseded_at IS NULL",
    )
    assert live[0]["n"] == 0


def test_status_and_load_on_the_command_line(
    landing_settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from marketplace_elt.cli import main

    monkeypatch.setenv("LANDING_DIR", str(landing_settings.landing_dir))
    monkeypatch.setenv("BQ_RAW_DATASET", landing_settings.raw_dataset)
    write(landing_settings.landing_dir, "events_20261017.csv", "event_id,transaction_id,file_name,status,event_time\n")
    assert main(["landing", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["pending"] == [{"file": "events_20261017.csv", "stream": "provider_events", "redelivery": False}]
    assert status["unrecognised"] == ["notes.txt"]
    assert len(status["manifest"]) == 6
    assert main(["landing", "load"]) == 0
    assert "1 file(s) loaded, 6 already loaded" in capsys.readouterr().out
    assert main(["landing", "status", "--history"]) == 0
    out = capsys.readouterr().out
    assert "rejected: missing_column:currency; superseded" in out and "waiting:" not in out


def test_a_missing_landing_directory_is_one_line(landing_settings: Settings, tmp_path: Path) -> None:
    import dataclasses

    with pytest.raises(UserError) as err:
        load(dataclasses.replace(landing_settings, landing_dir=tmp_path / "nowhere"))
    assert "does not exist" in str(err.value) and "landing generate" in str(err.value)
    assert "\n" not in str(err.value)
