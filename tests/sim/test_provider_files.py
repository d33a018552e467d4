"""The payment provider's daily files, generated from a small seeded source (real PostgreSQL).

The module seeds its own database (scale 0.02: about one payment a day, so a month of days is
generated) and checks the files against the payments: the provider knows every payment but the
configured missing share, with the payments' amounts, and its settlement has the configured
extra rows and mismatches. The bronze parser then accounts for every line the generator wrote.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from marketplace_elt.landing.contract import load_contract
from marketplace_elt.landing.parse import parse
from marketplace_elt.settings import Settings
from marketplace_sim.provider_files import Variants, resolve_rates, write_provider_files
from tests.isolation import create, drop, isolated_settings

FIRST_DAY, DAYS = date(2026, 10, 1), 30
CONSISTENCY = {"all": 0, "missing_at_provider": 0.25, "missing_at_platform": 0.2, "amount_mismatch": 0.2}
CONTRACT = load_contract()


@pytest.fixture(scope="module")
def source(services: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    from marketplace_sim import init, seed

    isolated = dataclasses.replace(
        isolated_settings(services, "provider_files", prefix="sim"), landing_dir=tmp_path_factory.mktemp("landing")
    )
    create(services, isolated)
    init(isolated)
    seed(isolated, scale=0.02, seed=5, reset=False)
    yield isolated
    if not os.environ.get("TEST_KEEP_SERVICES"):
        drop(services, isolated)


def platform_payments(settings: Settings, day: date) -> dict[str, dict[str, Any]]:
    """The day's payments by provider id (the first row of each: replays share the id)."""
    with psycopg.connect(settings.source_admin_url, options="-c TimeZone=UTC") as conn:
        rows = conn.execute(
            "SELECT p.payment_provider_id, p.event_id, p.amount, p.currency, p.status, o.buyer_id::text "
            "FROM payments p JOIN orders o ON o.id = p.order_id "
            "WHERE p.created_at >= %s AND p.created_at < %s ORDER BY p.created_at, p.id",
            (day, day + timedelta(days=1)),
        ).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for provider_id, event_id, amount, currency, status, buyer in rows:
        out.setdefault(
            provider_id,
            {"event_id": event_id, "amount": amount, "currency": currency, "status": status, "buyer": buyer},
        )
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def test_files_are_consistent_with_the_days_payments(source: Settings) -> None:
    totals = {"payments": 0, "transactions": 0, "settled": 0, "extra": 0, "mismatched": 0}
    for offset in range(DAYS):
        day = FIRST_DAY + timedelta(days=offset)
        report = write_provider_files(source, day, seed=11, rates=CONSISTENCY)
        platform = platform_payments(source, day)
        files = {name: read_csv(written.path) for name, written in report.files.items()}
        transactions, events = files["provider_transactions"], files["provider_events"]
        settlements = files["provider_settlements"]

        assert report.payments == len(platform)
        assert report.missing_at_provider == round(0.25 * len(platform))
        assert len(transactions) == len(platform) - report.missing_at_provider == report.transactions
        for t in transactions:
            payment = platform[t["transaction_id"]]
            assert t["amount"] == (f"{payment['amount']:.2f}" if payment["amount"] is not None else "")
            assert t["customer_id"] == payment["buyer"]
        assert [e["transaction_id"] for e in events] == [t["transaction_id"] for t in transactions]
        assert all(e["event_id"] == platform[e["transaction_id"]]["event_id"] for e in events)
        assert {e["file_name"] for e in events} <= {f"events_{day:%Y%m%d}.csv"}

        provided = {t["transaction_id"] for t in transactions}
        settleable = [
            pid
            for pid in provided
            if platform[pid]["status"] in ("completed", "refunded") and platform[pid]["amount"] is not None
        ]
        known = [s for s in settlements if s["payment_provider_id"] in platform]
        extra = [s for s in settlements if s["payment_provider_id"] not in platform]
        assert sorted(s["payment_provider_id"] for s in known) == sorted(settleable)
        assert len(extra) == round(0.2 * len(settleable)) == report.missing_at_platform
        mismatched = [s for s in known if Decimal(s["amount"]) != platform[s["payment_provider_id"]]["amount"]]
        assert len(mismatched) == round(0.2 * len(settleable)) == report.amount_mismatches
        assert all(s["currency"] == platform[s["payment_provider_id"]]["currency"].strip() for s in known)
        assert len({s["settlement_id"] for s in settlements}) == len(settlements)
        for key, value in (
            ("payments", len(platform)),
            ("transactions", len(transactions)),
            ("settled", len(known)),
            ("extra", len(extra)),
            ("mismatched", len(mismatched)),
        ):
            totals[key] += value
    assert totals["payments"] >= 20 and totals["extra"] >= 1 and totals["mismatched"] >= 1, totals
    assert totals["transactions"] < totals["payments"]


def busiest_day(settings: Settings) -> date:
    with psycopg.connect(settings.source_admin_url, options="-c TimeZone=UTC") as conn:
        row = conn.execute(
            "SELECT created_at::date FROM payments GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
    assert row is not None
    return row[0]


def test_messy_files_are_deterministic_and_every_line_is_accounted_for(source: Settings, tmp_path: Path) -> None:
    day = busiest_day(source)
    messy = {"all": 0.3}
    first = write_provider_files(source, day, seed=3, rates=messy)
    again = write_provider_files(dataclasses.replace(source, landing_dir=tmp_path / "a"), day, seed=3, rates=messy)
    other = write_provider_files(dataclasses.replace(source, landing_dir=tmp_path / "b"), day, seed=4, rates=messy)
    for name, written in first.files.items():
        assert written.path.read_bytes() == again.files[name].path.read_bytes(), name
    assert any(w.path.read_bytes() != other.files[n].path.read_bytes() for n, w in first.files.items())

    kinds: set[str] = set()
    for name, written in first.files.items():
        parsed = parse(written.path.read_bytes(), CONTRACT.stream(name))
        parsed.check(name)
        assert parsed.lines == written.lines and parsed.file_reason is None
        assert parsed.reject_reasons == (
            {"duplicate_row": written.mess["duplicate_row"]} if written.lines - written.rows else {}
        )
        kinds |= set(written.mess)
    assert kinds == {"messy_amount", "messy_enum", "bad_timestamp", "null_sentinel", "duplicate_row"}
    amounts = [r["amount"] for r in read_csv(first.files["provider_transactions"].path)]
    assert any(a.startswith(("$", "-$", " ")) or "," in a for a in amounts), amounts


def test_requested_delivery_problems(source: Settings, tmp_path: Path) -> None:
    day = busiest_day(source)
    settings = dataclasses.replace(source, landing_dir=tmp_path)
    messy = {"all": 0.3}
    write_provider_files(settings, day, seed=3, rates=messy)
    delivered = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    fixed = write_provider_files(settings, day, seed=3, rates=messy, variants=Variants(redeliver=True))
    for name, written in fixed.files.items():
        assert written.path.read_bytes() != delivered[written.path.name], "the correction is new content"
        assert not written.mess and written.lines == written.rows
        assert parse(written.path.read_bytes(), CONTRACT.stream(name)).rejected == 0
    keys = [r["transaction_id"] for r in read_csv(fixed.files["provider_transactions"].path)]
    assert sorted(keys) == sorted(r["transaction_id"] for r in read_csv(tmp_path / f"transactions_{day:%Y%m%d}.csv"))

    names = frozenset(CONTRACT.names)
    broken = write_provider_files(
        settings,
        day,
        seed=3,
        rates={"all": 0},
        variants=Variants(
            truncate=frozenset({"provider_events"}),
            extra_column=frozenset({"provider_transactions"}),
            missing_column=frozenset({"provider_settlements"}),
        ),
    )
    assert set(broken.files) == names
    events = broken.files["provider_events"]
    assert events.truncated and not events.path.read_bytes().endswith(b"\n")
    assert parse(events.path.read_bytes(), CONTRACT.stream("provider_events")).reject_reasons == {"truncated_line": 1}
    extra = parse(broken.files["provider_transactions"].path.read_bytes(), CONTRACT.stream("provider_transactions"))
    assert extra.schema_drift == {"extra_columns": ["batch_ref"]} and extra.rejected == 0
    settlements = broken.files["provider_settlements"]
    assert settlements.missing_column == "settled_at"
    assert parse(settlements.path.read_bytes(), CONTRACT.stream("provider_settlements")).file_reason == (
        "missing_column:settled_at"
    )
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no temporary file is left behind"


def test_the_generator_reads_the_source_read_only(source: Settings, tmp_path: Path) -> None:
    unusable_owner = dataclasses.replace(
        source, source_admin_url="postgresql://nobody@127.0.0.1:1/nowhere", landing_dir=tmp_path
    )
    report = write_provider_files(unusable_owner, busiest_day(source), seed=1)
    assert report.payments > 0 and len(report.files) == 3


def test_rates_are_checked() -> None:
    from marketplace_elt.errors import UserError

    assert resolve_rates({"all": 0})["duplicate_row"] == 0
    with pytest.raises(UserError, match="unknown provider-file rate 'typo'"):
        resolve_rates({"typo": 0.1})
    with pytest.raises(UserError, match=r"rate messy_enum=2\.0 is outside 0\.\.1"):
        resolve_rates({"messy_enum": 2.0})
