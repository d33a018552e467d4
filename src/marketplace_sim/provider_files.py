"""The payment provider's daily files, generated from the source's payments of a day.

`marketplace-elt landing generate` plays the provider: for a day it reads the platform's payments
of that day from the source database (read-only, as ``SOURCE_DB_URL``'s role) and writes the files
the provider would drop into ``LANDING_DIR``, one per stream declared in ``landing/streams/``:

* **transactions** — one row per payment the provider processed: ``transaction_id`` is the
  provider's id, which the platform stores as ``payments.payment_provider_id`` (webhook replays
  share it, so they are one transaction); ``amount`` is the payment's amount; ``customer_id`` the
  order's buyer; ``load_time`` when the provider processed it;
* **events** — one row per webhook event (``payments.event_id``) with its status and time;
* **settlement** — one row per transaction that moved money (status completed or refunded, an
  amount), with a settlement id, the payment's amount and currency, settled the next morning.

Consistency with the platform, at configurable rates (``DEFAULT_RATES``, provider_rates.py): ``missing_at_provider``
payments are in none of the provider's files, ``missing_at_platform`` settlement rows (a share of
the settled ones) have no platform payment, and ``amount_mismatch`` settled amounts differ from
the payment's. Then the files get their messy values (provider_mess.py: amounts as ``"$1,234.50"``,
enum casing, sentinels, bad timestamps, duplicate rows).

On request (``Variants``): ``redeliver`` writes the corrected version of the day's files under the
same names (the same rows without the malformed values and duplicates; the loader sees new
content and supersedes the first delivery); ``truncate`` cuts the last line short (no line break,
a field missing: a file cut while being written); ``extra_column`` adds an undeclared column;
``missing_column`` leaves out the last declared non-key column.

Everything is deterministic for (seed, day, rates, variants): the same call writes the same bytes.
Files are written atomically (a hidden temporary file renamed into place), so the loader never
reads half a file.
"""

from __future__ import annotations

import csv
import io
import os
import random
import secrets
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from marketplace_elt.errors import ConfigError
from marketplace_elt.landing.contract import FileStream, LandingContract, load_contract
from marketplace_elt.settings import Settings
from marketplace_sim.db import connect, require_tables
from marketplace_sim.provider_mess import MESS_KINDS, Row, apply_mess, share
from marketplace_sim.provider_rates import DEFAULT_RATES, RATE_MEANINGS, parse_rate, resolve_rates

SETTLED_STATUSES = frozenset({"completed", "refunded"})
EXTRA_COLUMN = "batch_ref"
SETTLEMENT_HOUR = 2  # settlements are paid out at 02:00 UTC the next day

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Variants:
    """Delivery problems to produce on request, each for the streams named."""

    redeliver: bool = False
    truncate: frozenset[str] = frozenset()
    extra_column: frozenset[str] = frozenset()
    missing_column: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Payment:
    """One platform payment as the provider knows it (replays collapsed)."""

    provider_id: str
    event_id: str
    amount: str | None
    currency: str
    status: str
    created_at: datetime
    processed_at: datetime | None
    event_timestamp: datetime
    customer_id: str


@dataclass(frozen=True)
class WrittenFile:
    stream: str
    path: Path
    rows: int  # distinct rows of the file
    lines: int  # lines after the header (rows + duplicates)
    mess: Mapping[str, int] = field(default_factory=dict)
    truncated: bool = False
    extra_column: str | None = None
    missing_column: str | None = None


@dataclass
class ProviderFilesReport:
    """What one day's generation wrote, and how it relates to the platform's payments."""

    day: date
    payments: int = 0  # distinct platform payments of the day (by payment_provider_id)
    missing_at_provider: int = 0
    transactions: int = 0
    events: int = 0
    settled: int = 0  # settlement rows of platform payments
    missing_at_platform: int = 0  # settlement rows with no platform payment
    amount_mismatches: int = 0
    redelivered: bool = False
    files: dict[str, WrittenFile] = field(default_factory=dict)


# --- reading the platform's payments --------------------------------------------------------------

_PAYMENTS_SQL = """
SELECT p.payment_provider_id, p.event_id, p.amount::text, p.currency, p.status, p.created_at,
       p.processed_at, p.event_timestamp, o.buyer_id::text
FROM payments p JOIN orders o ON o.id = p.order_id
WHERE p.created_at >= %s AND p.created_at < %s AND p.payment_provider_id IS NOT NULL
ORDER BY p.created_at, p.id
"""


def day_payments(settings: Settings, day: date) -> list[Payment]:
    """The platform's payments created on ``day`` (UTC), one per provider id (replays dropped)."""
    start = datetime.combine(day, time(), UTC)
    with connect(settings.source_db_url, setting_name="SOURCE_DB_URL") as conn:
        conn.execute("SET TRANSACTION READ ONLY")
        require_tables(conn)
        rows = conn.execute(_PAYMENTS_SQL, (start, start + timedelta(days=1))).fetchall()
    seen: set[str] = set()
    payments = []
    for provider_id, event_id, amount, currency, status, created, processed, event_ts, customer in rows:
        if provider_id in seen:
            continue  # a webhook replay: the same provider transaction again
        seen.add(provider_id)
        payments.append(
            Payment(provider_id, event_id, amount, currency.strip(), status, created, processed, event_ts, customer)
        )
    return payments


# --- the provider's rows --------------------------------------------------------------------------


def _ts(moment: datetime | None, stream: FileStream, column: str) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime(stream.column(column).format or "%Y-%m-%dT%H:%M:%SZ")


def _rng(seed: int, day: date, purpose: str) -> random.Random:
    return random.Random(f"{seed}:{day.isoformat()}:{purpose}")


def _events(stream: FileStream, provided: list[Payment], day: date) -> list[Row]:
    file_name = stream.file_name(day)
    return [
        {
            "event_id": p.event_id,
            "transaction_id": p.provider_id,
            "file_name": file_name,
            "status": p.status,
            "event_time": _ts(p.event_timestamp, stream, "event_time"),
        }
        for p in provided
    ]


def _transactions(stream: FileStream, provided: list[Payment], day: date) -> list[Row]:
    return [
        {
            "transaction_id": p.provider_id,
            "amount": p.amount or "",
            "customer_id": p.customer_id,
            "load_time": _ts(p.processed_at or p.created_at, stream, "load_time"),
        }
        for p in provided
    ]


def _changed_amount(rng: random.Random, amount: str) -> str:
    value = Decimal(amount)
    delta = rng.choice([Decimal("0.01"), Decimal("1.00"), max(Decimal("0.02"), abs(value) / 100)])
    return f"{value + delta * rng.choice([-1, 1]):.2f}"


def _settlements(
    stream: FileStream, provided: list[Payment], day: date, rng: random.Random, rates: Mapping[str, float]
) -> tuple[list[Row], int, int, int]:
    """Settlement rows, and how many match a payment, have none, and differ in amount."""
    settled = [p for p in provided if p.status in SETTLED_STATUSES and p.amount is not None]
    mismatched = set(share(rng, len(settled), rates["amount_mismatch"]))
    entries = [
        (p.provider_id, _changed_amount(rng, p.amount) if i in mismatched else p.amount, p.currency)
        for i, p in enumerate(settled)
        if p.amount is not None
    ]
    currencies = sorted({p.currency for p in settled}) or ["USD"]
    extra = len(share(rng, len(settled), rates["missing_at_platform"]))
    for _ in range(extra):
        unknown = f"pi_{rng.getrandbits(96):024x}"  # a provider id the platform never stored
        amount = f"{Decimal(rng.randint(500, 50_000)) / 100:.2f}"
        entries.insert(rng.randint(0, len(entries)), (unknown, amount, rng.choice(currencies)))
    paid_at = datetime.combine(day + timedelta(days=1), time(SETTLEMENT_HOUR), UTC)
    rows = [
        {
            "settlement_id": f"stl_{day:%Y%m%d}_{n:05d}",
            "payment_provider_id": provider_id,
            "amount": amount,
            "currency": currency,
            "settled_at": _ts(paid_at + timedelta(seconds=n), stream, "settled_at"),
        }
        for n, (provider_id, amount, currency) in enumerate(entries, start=1)
    ]
    return rows, len(settled), extra, len(mismatched)


def _check_columns(stream: FileStream, rows: list[Row]) -> None:
    """The generator fills exactly the declared columns (the declaration is the only column list)."""
    if not rows:
        return
    produced, declared = set(rows[0]), set(stream.column_names)
    if produced != declared:
        unknown = sorted(declared - produced) or sorted(produced - declared)
        raise ConfigError(
            f"landing/streams/{stream.name}.yml and the provider-file generator disagree on column(s) "
            f"{', '.join(unknown)}; declare what marketplace_sim/provider_files.py writes, or teach it the new column"
        )


def _stream_rows(
    stream: FileStream,
    provided: list[Payment],
    day: date,
    rng: random.Random,
    rates: Mapping[str, float],
    report: ProviderFilesReport,
) -> list[Row]:
    """The clean rows of one stream's file, counted into ``report``."""
    if stream.name == "provider_events":
        rows = _events(stream, provided, day)
        report.events = len(rows)
    elif stream.name == "provider_transactions":
        rows = _transactions(stream, provided, day)
        report.transactions = len(rows)
    elif stream.name == "provider_settlements":
        rows, report.settled, report.missing_at_platform, report.amount_mismatches = _settlements(
            stream, provided, day, rng, rates
        )
    else:
        raise ConfigError(
            f"landing/streams/{stream.name}.yml declares a stream the provider-file generator does not "
            "write; add it to marketplace_sim/provider_files.py, or pick the others with --stream"
        )
    return rows


# --- writing files --------------------------------------------------------------------------------


def _csv_lines(header: list[str], rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def truncate_last_line(text: str) -> str:
    """The file cut inside its last line: up to the line's last delimiter, without a line break."""
    body = text.removesuffix("\n")
    start = body.rfind("\n") + 1
    last = body[start:]
    cut = last.rfind(",")
    return body[: start + (cut if cut > 0 else len(last) // 2)]


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``path`` through a hidden temporary file renamed into place (readers see all or nothing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _render(stream: FileStream, rows: list[Row], day: date, variants: Variants) -> tuple[str, str | None, str | None]:
    header = stream.column_names
    dropped = None
    if stream.name in variants.missing_column:
        dropped = [c for c in header if c not in stream.key][-1]
        header = [c for c in header if c != dropped]
    values = [[row[c] for c in header] for row in rows]
    extra = None
    if stream.name in variants.extra_column:
        extra = EXTRA_COLUMN
        header = [*header, extra]
        values = [[*v, f"B{day:%Y%m%d}-{i // 100:03d}"] for i, v in enumerate(values)]
    text = _csv_lines(header, values)
    if stream.name in variants.truncate and rows:
        text = truncate_last_line(text)
    return text, dropped, extra


def write_provider_files(
    settings: Settings,
    day: date,
    *,
    seed: int,
    rates: Mapping[str, float] | None = None,
    variants: Variants | None = None,
    streams: list[str] | None = None,
    contract: LandingContract | None = None,
) -> ProviderFilesReport:
    """Write the provider's files of ``day`` into ``settings.landing_dir`` (see the module doc)."""
    contract = contract or load_contract()
    variants = variants or Variants()
    resolved = resolve_rates(rates)
    selected = contract.select(streams)
    payments = day_payments(settings, day)
    missing = set(share(_rng(seed, day, "missing_at_provider"), len(payments), resolved["missing_at_provider"]))
    provided = [p for i, p in enumerate(payments) if i not in missing]
    report = ProviderFilesReport(day=day, payments=len(payments), missing_at_provider=len(missing))
    report.redelivered = variants.redeliver

    for stream in selected:
        rows = _stream_rows(stream, provided, day, _rng(seed, day, stream.name), resolved, report)
        _check_columns(stream, rows)
        mess: Counter[str] = Counter()
        if not variants.redeliver:  # a corrected re-delivery: the same rows, cleanly written
            rows, mess = apply_mess(_rng(seed, day, f"{stream.name}:mess"), stream, rows, resolved, day)
        text, dropped, extra = _render(stream, rows, day, variants)
        path = settings.landing_dir / stream.file_name(day)
        write_atomically(path, text.encode("utf-8"))
        report.files[stream.name] = WrittenFile(
            stream=stream.name,
            path=path,
            rows=len(rows) - mess["duplicate_row"],
            lines=len(rows),
            mess={k: mess[k] for k in MESS_KINDS if mess[k]},
            truncated=stream.name in variants.truncate and bool(rows),
            extra_column=extra,
            missing_column=dropped,
        )
    return report


__all__ = [
    "DEFAULT_RATES",
    "RATE_MEANINGS",
    "ProviderFilesReport",
    "Variants",
    "WrittenFile",
    "parse_rate",
    "resolve_rates",
    "write_provider_files",
]
