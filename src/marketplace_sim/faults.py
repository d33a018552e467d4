"""Injected data faults: their names, default rates, and the manifest that records every faulty row.

The seed injects each fault into an exact number of rows, ``max(1, round(rate * population))`` (none
when the rate is 0), so even a tiny test database carries every fault; ``advance`` injects them into
each day's new rows at the same rates (soft deletes: rate / 180 of the users per day).
``meta.fault_manifest`` lists the faulty rows by primary key. For out_of_order_event the rate is the
share of events delivered late, and the manifest lists every row that ended up out of order (late
deliveries and late-arriving orders alike). The definitions below say what an independent query
finds for each fault, so the manifest can be checked against the data, and quality gates against the
manifest.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import numpy.typing as npt
import psycopg
import pyarrow as pa

from marketplace_elt.errors import UserError
from marketplace_sim.columns import IntArray, UuidArray, uuid_text
from marketplace_sim.pgbinary import Frame


@dataclass(frozen=True)
class Fault:
    name: str
    table: str
    default_rate: float
    population: str  # what the rate is a fraction of
    finds: str  # what an independent query on the source finds


FAULTS: tuple[Fault, ...] = (
    Fault(
        "duplicate_payment_webhook",
        "payments",
        0.02,
        "new payments rows",
        "payments rows repeating an earlier row's event_id under a new id, seconds later "
        "(count(*) - count(DISTINCT event_id))",
    ),
    Fault(
        "future_updated_at", "products", 0.005, "products", "products whose updated_at is later than the simulated now"
    ),
    Fault(
        "confirmed_at_wrong_zone",
        "orders",
        0.01,
        "orders",
        "orders whose naive confirmed_at holds wall-clock time of another zone than the documented "
        "source time zone (America/New_York local time when it is UTC, the default; UTC when it is "
        "local): read in the source zone it lies more than 1 hour before or 3 hours after created_at "
        "(correct values lie 1 minute to 2 hours after it)",
    ),
    Fault(
        "refund_status_on_payment",
        "payments",
        0.3,
        "refunds whose charge is generated with them (seed) or stored at most 6 days earlier (advance)",
        "first deliveries of payments with status 'refunded' and a positive amount: the charge itself "
        "was marked refunded, and no reversal row exists for it",
    ),
    Fault(
        "null_payment_amount",
        "payments",
        0.002,
        "completed charges",
        "first deliveries of payments whose amount is NULL",
    ),
    Fault(
        "pending_payment_webhook",
        "payments",
        0.02,
        "new orders not cancelled before confirmation",
        "first deliveries of payments with status 'pending' (stored seconds after the order was "
        "placed; the charge that follows, if any, is a separate row)",
    ),
    Fault(
        "seller_left_programme",
        "seller_tier_history",
        0.03,
        "sellers (at seed)",
        "seller_tier_history rows that are a seller's last row, with effective_to set and is_current "
        "false (the seller left the tier programme; users.seller_tier is NULL)",
    ),
    Fault(
        "user_type_changed",
        "users",
        0.01,
        "live buyers (advance: rate / 180 per day)",
        "users whose user_type is not 'buyer' and who have no seller_tier_history row: buyers who "
        "started selling (user_type changed in place to 'both')",
    ),
    Fault(
        "soft_deleted_user",
        "users",
        0.02,
        "users",
        "users with deleted_at set (is_active false); some of them have orders",
    ),
    Fault("null_country_code", "users", 0.03, "users", "users with country_code NULL"),
    Fault(
        "order_total_mismatch",
        "orders",
        0.005,
        "orders",
        "orders whose total_amount <> subtotal + shipping + tax - discount",
    ),
    Fault(
        "unknown_currency",
        "orders",
        0.002,
        "orders",
        "orders whose currency is not an ISO 4217 code the marketplace trades in ('XXX', 'ZZZ')",
    ),
    Fault(
        "out_of_order_event",
        "event_log",
        0.01,
        "event_log rows",
        "event_log rows whose event_timestamp is earlier than that of some row with a smaller id "
        "(they were received after a later event)",
    ),
    Fault(
        "shipment_carrier_name_variant",
        "shipments",
        0.02,
        "new shipments",
        "shipments whose carrier is none of the carrier names as written (UPS, FedEx, DHL, USPS, DPD, "
        "Royal Mail) but is one of them once trimmed and compared without case",
    ),
    Fault(
        "shipment_tracking_number_unformatted",
        "shipments",
        0.01,
        "new shipments",
        "shipments whose tracking_number has lower-case letters or spaces (carriers issue them in upper "
        "case without spaces)",
    ),
    Fault(
        "shipment_delivered_before_shipped",
        "shipments",
        0.002,
        "parcels delivered (at seed / in the day)",
        "shipments whose delivered_at is earlier than shipped_at (a carrier clock error)",
    ),
    Fault("orphan_review_product", "reviews", 0.005, "reviews", "reviews whose product_id matches no products row"),
    Fault("orphan_review_reviewer", "reviews", 0.005, "reviews", "reviews whose reviewer_id matches no users row"),
    Fault(
        "orphan_event_entity",
        "event_log",
        0.005,
        "event_log rows",
        "event_log rows whose entity_id matches no row of the table named by entity_type",
    ),
)
FAULT_NAMES: tuple[str, ...] = tuple(f.name for f in FAULTS)
DEFAULT_FAULT_RATES: dict[str, float] = {f.name: f.default_rate for f in FAULTS}


def resolve_fault_rates(overrides: Mapping[str, float] | None) -> dict[str, float]:
    """Default rates with ``overrides`` applied; the key 'all' sets every rate (e.g. all=0)."""
    rates = dict(DEFAULT_FAULT_RATES)
    for name, rate in (overrides or {}).items():
        if not 0.0 <= rate <= 1.0:
            raise UserError(f"fault rate {name}={rate} is outside 0..1; pass a fraction such as {name}=0.01")
        if name == "all":
            rates = dict.fromkeys(rates, rate)
        elif name in rates:
            rates[name] = rate
        else:
            raise UserError(f"unknown fault {name!r}; choose one of: all, {', '.join(FAULT_NAMES)}")
    return rates


def parse_named_rate(text: str, flag: str, example: str) -> tuple[str, float]:
    """'name=rate' -> (name, rate), as given on the command line to ``flag`` (``example``: a valid value)."""
    name, sep, value = text.partition("=")
    try:
        if not sep:
            raise ValueError
        return name.strip(), float(value)
    except ValueError:
        raise UserError(f"{flag} {text!r} is not NAME=RATE; write e.g. {flag} {example}") from None


def parse_fault_rate(text: str) -> tuple[str, float]:
    """'name=rate' -> (name, rate), as given to ``--fault-rate``."""
    return parse_named_rate(text, "--fault-rate", "unknown_currency=0.01")


def exact_count(rate: float, population: int) -> int:
    """How many rows a fault hits: at least one when the rate is positive and there are rows."""
    if rate <= 0 or population <= 0:
        return 0
    return min(population, max(1, round(rate * population)))


def choose(rng: np.random.Generator, population: int, rate: float) -> npt.NDArray[np.int64]:
    """Sorted row positions carrying a fault of the given rate."""
    k = exact_count(rate, population)
    if k == 0:
        return np.empty(0, dtype=np.int64)
    return np.sort(rng.choice(population, size=k, replace=False)).astype(np.int64)


@dataclass
class Manifest:
    """Manifest rows collected while generating, written to meta.fault_manifest in one COPY."""

    faults: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    row_ids: list[pa.Array] = field(default_factory=list)
    details: list[pa.Array] = field(default_factory=list)
    injected: list[IntArray] = field(default_factory=list)

    def add(
        self,
        fault: str,
        row_ids: UuidArray | IntArray,
        injected_at: IntArray | int,
        detail: pa.Array | str | None = None,
    ) -> None:
        if fault not in DEFAULT_FAULT_RATES:
            raise ValueError(f"unknown fault {fault}")
        n = len(row_ids)
        if n == 0:
            return
        table = next(f.table for f in FAULTS if f.name == fault)
        ids = uuid_text(cast(UuidArray, row_ids)) if row_ids.dtype.kind == "V" else pa.array(row_ids).cast(pa.string())
        details = pa.array([detail] * n, type=pa.string()) if detail is None or isinstance(detail, str) else detail
        self.faults.extend([fault] * n)
        self.tables.extend([table] * n)
        self.row_ids.append(ids)
        self.details.append(details)
        self.injected.append(np.broadcast_to(np.asarray(injected_at, dtype=np.int64), (n,)).copy())

    def __len__(self) -> int:
        return len(self.faults)

    def to_frame(self) -> Frame:
        injected = np.concatenate(self.injected) if self.injected else np.empty(0, dtype=np.int64)
        return (
            Frame(len(self.faults))
            .text("fault", pa.array(self.faults, type=pa.string()))
            .text("table_name", pa.array(self.tables, type=pa.string()))
            .text("row_id", pa.concat_arrays(self.row_ids) if self.row_ids else pa.array([], pa.string()))
            .text("detail", pa.concat_arrays(self.details) if self.details else pa.array([], pa.string()))
            .ts("injected_at", injected)
        )


def fault_counts_from(conn: psycopg.Connection) -> dict[str, int]:
    """Manifest rows per fault (every known fault listed, 0 when absent)."""
    counts = dict.fromkeys(FAULT_NAMES, 0)
    exists = conn.execute("SELECT to_regclass('meta.fault_manifest') IS NOT NULL").fetchone()
    if not exists or not exists[0]:
        return counts
    for name, count in conn.execute("SELECT fault, count(*) FROM meta.fault_manifest GROUP BY fault"):
        counts[name] = int(count)
    return counts
