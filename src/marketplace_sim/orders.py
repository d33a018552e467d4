"""Orders and their line items: who buys what, in which currency, for how much.

Orders are drawn against a pool of buyers and a catalogue of listings that existed when the order
was placed. Every order is in one currency (the buyer's, when listings in it exist), its items come
from listings in that currency, and its amounts add up (subtotal + shipping + tax - discount =
total) unless a fault says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from marketplace_sim import columns as col
from marketplace_sim.catalog import skewed_index
from marketplace_sim.columns import MICROS_PER_DAY, BoolArray, BytesArray, IntArray, UuidArray
from marketplace_sim.lifecycle import ORDER_STATUSES, OrderState, Plans, plan_schedules
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import (
    COUNTRIES,
    COUNTRY_CODES,
    COUNTRY_CURRENCY,
    CURRENCIES,
    CURRENCY_CODES,
    PAYMENT_PROVIDERS,
    UNKNOWN_CURRENCY_CODES,
    USD,
)

ITEMS_PER_ORDER_WEIGHTS = (0.55, 0.25, 0.12, 0.05, 0.03)  # 1..5 items
QUANTITY_WEIGHTS = (0.80, 0.15, 0.04, 0.01)  # 1..4 units
DISCOUNT_SHARE = 0.15
DISCOUNT_PERCENTS = np.array([5, 10, 15, 20], dtype=np.int64)

_CITIES = tuple(city for c in COUNTRIES for city in c.cities)
_CITY_OFFSET = np.cumsum([0] + [len(c.cities) for c in COUNTRIES])[:-1].astype(np.int64)
_CITY_COUNT = np.array([len(c.cities) for c in COUNTRIES], dtype=np.int64)
_TAX_BPS = np.array([c.tax_bps for c in COUNTRIES], dtype=np.int64)
_COUNTRY_CURRENCY = np.array(COUNTRY_CURRENCY, dtype=np.int64)
_HOME_COUNTRY = np.array([COUNTRY_CURRENCY.index(i) for i in range(len(CURRENCIES))], dtype=np.int64)
_UNIT = np.array([1 if c.decimals == 2 else 100 for c in CURRENCIES], dtype=np.int64)  # hundredths per minor unit
_SHIPPING = np.array([c.shipping_cents for c in CURRENCIES], dtype=np.int64)
_FREE_SHIPPING = np.array([c.free_shipping_cents for c in CURRENCIES], dtype=np.int64)


@dataclass
class BuyerPool:
    """Users who may place orders, sorted by creation time."""

    id: UuidArray
    country: IntArray  # -1 = unknown
    created: IntArray
    source_index: IntArray  # position of the buyer in the caller's user arrays

    @classmethod
    def build(cls, ids: UuidArray, country: IntArray, created: IntArray) -> BuyerPool:
        order = np.argsort(created, kind="stable")
        return cls(ids[order], country[order], created[order], order.astype(np.int64))


@dataclass
class CatalogPool:
    """Listings that can be ordered, with what an order line copies from them."""

    id: UuidArray
    seller_id: UuidArray
    price: IntArray
    currency: IntArray
    title: pa.Array
    category_id: IntArray
    published: IntArray

    def __post_init__(self) -> None:
        # listings grouped by currency, each group sorted by publication time
        order = np.lexsort((self.published, self.currency))
        self._sorted = order
        self._group_start = np.searchsorted(self.currency[order], np.arange(len(CURRENCIES)), side="left")
        self._group_end = np.searchsorted(self.currency[order], np.arange(len(CURRENCIES)), side="right")
        self._published_sorted = self.published[order]

    def available(self, currency: IntArray, moment: IntArray) -> IntArray:
        """How many listings in ``currency`` were published at or before ``moment``, per row."""
        out = np.zeros(len(currency), dtype=np.int64)
        for cur in range(len(CURRENCIES)):
            rows = np.flatnonzero(currency == cur)
            if len(rows) == 0:
                continue
            lo, hi = self._group_start[cur], self._group_end[cur]
            out[rows] = np.searchsorted(self._published_sorted[lo:hi], moment[rows], side="right")
        return out

    def size(self, currency: int) -> int:
        return int(self._group_end[currency] - self._group_start[currency])

    def listing(self, currency: IntArray, rank: IntArray) -> IntArray:
        """Position in the pool of the rank-th oldest listing in ``currency``."""
        return self._sorted[self._group_start[currency] + rank]


def _digits(values: IntArray, width: int) -> npt.NDArray[np.uint8]:
    out = np.empty((len(values), width), dtype=np.uint8)
    rest = values.astype(np.int64).copy()
    for pos in range(width - 1, -1, -1):
        out[:, pos] = ord("0") + rest % 10
        rest //= 10
    return out


def order_numbers(created: IntArray, last_used: dict[int, int]) -> BytesArray:
    """'ORD-YYYYMMDD-NNNNN': the UTC date of creation and a per-day sequence.

    ``created`` must be sorted; ``last_used`` maps day numbers (days since the epoch) to the last
    sequence already taken that day and is updated.
    """
    n = len(created)
    day = created // MICROS_PER_DAY
    first_of_day = np.searchsorted(day, day, side="left")
    unique_days = np.unique(day)
    base = np.array([last_used.get(int(d), 0) for d in unique_days], dtype=np.int64)
    seq = base[np.searchsorted(unique_days, day)] + (np.arange(n) - first_of_day) + 1
    for d, count in zip(unique_days, np.bincount(np.searchsorted(unique_days, day)), strict=True):
        last_used[int(d)] = last_used.get(int(d), 0) + int(count)
    dates = day.astype("datetime64[D]")
    years = dates.astype("datetime64[Y]").astype(np.int64) + 1970
    months = dates.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (dates - dates.astype("datetime64[M]")).astype(np.int64) + 1
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, 0:4] = np.frombuffer(b"ORD-", dtype=np.uint8)
    out[:, 4:8] = _digits(years, 4)
    out[:, 8:10] = _digits(months, 2)
    out[:, 10:12] = _digits(days, 2)
    out[:, 12] = ord("-")
    out[:, 13:18] = _digits(np.minimum(seq, 99999), 5)
    return np.ascontiguousarray(out).view("S18").ravel()


def _round_to_unit(cents: IntArray, unit: IntArray) -> IntArray:
    return ((cents + unit // 2) // unit) * unit


@dataclass
class OrderBatch:
    plans: Plans
    buyer_index: IntArray  # BuyerPool.source_index of each order's buyer
    ship_country: IntArray
    city: IntArray  # index into the flat city list
    postal: pa.Array
    subtotal: IntArray
    shipping: IntArray
    tax: IntArray
    discount: IntArray
    total: IntArray  # what orders.total_amount says (differs from the charge for mismatch faults)
    currency_fault: IntArray  # -1, or index into UNKNOWN_CURRENCY_CODES written instead of the currency
    item_id: UuidArray
    item_order: IntArray  # position of the item's order in this batch
    item_product: UuidArray
    item_seller: UuidArray
    item_quantity: IntArray
    item_unit: IntArray
    item_total: IntArray
    item_title: pa.Array
    item_category: IntArray

    def __len__(self) -> int:
        return len(self.plans)


def _postal_codes(rng: np.random.Generator, country: IntArray) -> pa.Array:
    parts: list[pa.Array] = []
    positions: list[IntArray] = []
    for c, spec in enumerate(COUNTRIES):
        rows = np.flatnonzero(country == c)
        if len(rows):
            parts.append(col.text(col.patterned(rng, len(rows), spec.postal_format)))
            positions.append(rows)
    flat = pa.concat_arrays(parts) if parts else pa.array([], pa.string())
    order = np.concatenate(positions) if positions else np.empty(0, dtype=np.int64)
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return flat.take(pa.array(inverse))


def generate_orders(
    rng: np.random.Generator,
    created: IntArray,
    buyers: BuyerPool,
    catalog: CatalogPool,
    last_order_number: dict[int, int],
) -> OrderBatch:
    """Orders placed at the (sorted) instants ``created``, with items and planned lifecycles."""
    n = len(created)
    # buyer: someone who had signed up by then, favouring long-standing customers
    signed_up = np.searchsorted(buyers.created, created, side="right")
    buyer = skewed_index(rng, np.maximum(signed_up, 1), power=1.3)
    buyer_country = buyers.country[buyer]
    # currency: the buyer's, if listings in it exist at that moment; else USD; else the largest group
    currency = np.where(buyer_country >= 0, _COUNTRY_CURRENCY[np.maximum(buyer_country, 0)], USD)
    avail = catalog.available(currency, created)
    largest = int(np.argmax([catalog.size(c) for c in range(len(CURRENCIES))]))
    for fallback in (USD, largest):
        empty = avail == 0
        if not empty.any():
            break
        currency = np.where(empty, fallback, currency)
        avail = np.where(empty, catalog.available(currency, created), avail)
    avail = np.maximum(avail, 1)
    ship_country = np.where(buyer_country >= 0, buyer_country, _HOME_COUNTRY[currency])

    # items
    per_order = col.weighted_choice(rng, ITEMS_PER_ORDER_WEIGHTS, n) + 1
    item_order = np.repeat(np.arange(n), per_order)
    first_item = np.concatenate([[0], np.cumsum(per_order)[:-1]]).astype(np.int64)
    rank = skewed_index(rng, avail[item_order])
    listing = catalog.listing(currency[item_order], rank)
    quantity = col.weighted_choice(rng, QUANTITY_WEIGHTS, len(item_order)) + 1
    unit = catalog.price[listing]
    line_total = unit * quantity

    # amounts
    unit_of = _UNIT[currency]
    subtotal = np.bincount(item_order, weights=line_total, minlength=n).astype(np.int64)
    shipping = np.where(subtotal >= _FREE_SHIPPING[currency], 0, _SHIPPING[currency])
    tax = _round_to_unit(subtotal * _TAX_BPS[ship_country] // 10_000, unit_of)
    discount_pct = np.where(
        rng.random(n) < DISCOUNT_SHARE, DISCOUNT_PERCENTS[rng.integers(0, len(DISCOUNT_PERCENTS), n)], 0
    )
    discount = _round_to_unit(subtotal * discount_pct // 100, unit_of)
    total = subtotal + shipping + tax - discount

    order_id = col.uuids(rng, n)
    item_id = col.uuids(rng, len(item_order))
    schedule = plan_schedules(rng, created)
    plans = Plans(
        order_id=order_id,
        order_number=order_numbers(created, last_order_number),
        buyer_id=buyers.id[buyer],
        currency=currency,
        charge=total.copy(),
        provider=col.weighted_choice(rng, [w for _, w, _ in PAYMENT_PROVIDERS], n),
        zone_fault=np.zeros(n, dtype=np.bool_),
        review_item_id=item_id[first_item],
        review_product_id=catalog.id[listing[first_item]],
        created=created.astype(np.int64),
        confirm=schedule.confirm,
        processing=schedule.processing,
        shipped=schedule.shipped,
        delivered=schedule.delivered,
        cancelled=schedule.cancelled,
        refunded=schedule.refunded,
        disputed=schedule.disputed,
        review=schedule.review,
        failed_payment=schedule.failed_payment,
    )
    return OrderBatch(
        plans=plans,
        buyer_index=buyers.source_index[buyer],
        ship_country=ship_country,
        city=_CITY_OFFSET[ship_country] + (rng.random(n) * _CITY_COUNT[ship_country]).astype(np.int64),
        postal=_postal_codes(rng, ship_country),
        subtotal=subtotal,
        shipping=shipping,
        tax=tax,
        discount=discount,
        total=total,
        currency_fault=np.full(n, -1, dtype=np.int64),
        item_id=item_id,
        item_order=item_order,
        item_product=catalog.id[listing],
        item_seller=catalog.seller_id[listing],
        item_quantity=quantity,
        item_unit=unit,
        item_total=line_total,
        item_title=catalog.title.take(pa.array(listing)),
        item_category=catalog.category_id[listing],
    )


def mismatch_totals(rng: np.random.Generator, batch: OrderBatch, rows: IntArray) -> None:
    """Make total_amount disagree with its parts on ``rows`` (the charge keeps the right amount)."""
    unit = _UNIT[batch.plans.currency[rows]]
    delta = rng.integers(1, 5000, len(rows)) * np.where(rng.random(len(rows)) < 0.5, -1, 1)
    delta = np.maximum(_round_to_unit(np.abs(delta), unit), unit) * np.sign(delta)
    batch.total[rows] = np.where(
        batch.total[rows] + delta > 0, batch.total[rows] + delta, batch.total[rows] + np.abs(delta)
    )


# The zone a `confirmed_at_wrong_zone` row is written in: local time (America/New_York) when the
# documented source zone is UTC (the default), UTC wall-clock time when the documented zone is local.
LOCAL_ZONE = "America/New_York"


def wrong_zone(zone: str) -> str:
    """The zone the `confirmed_at_wrong_zone` fault writes in, for a documented source zone."""
    return LOCAL_ZONE if zone in ("UTC", "Etc/UTC") else "UTC"


def confirmed_wall_clock(confirmed: IntArray, zone: str, zone_fault: BoolArray) -> IntArray:
    """confirmed_at as the order service writes it: wall-clock time in the source time zone, or in
    the other zone (``wrong_zone``) for rows carrying the `confirmed_at_wrong_zone` fault."""
    return np.where(zone_fault, col.wall_clock(confirmed, wrong_zone(zone)), col.wall_clock(confirmed, zone))


def wrong_zone_detectable(created: IntArray, confirmed: IntArray, zone: str) -> BoolArray:
    """Whether writing ``confirmed`` in ``wrong_zone(zone)`` is visible once read in ``zone``: the
    value then lies more than 1 hour before or 3 hours after created_at (always so between UTC and
    America/New_York)."""
    offset = col.wall_clock(confirmed, zone) - confirmed  # the documented zone's UTC offset
    written = col.wall_clock(confirmed, wrong_zone(zone))  # what the faulty row holds
    read_back = written - offset  # that value read in the documented zone
    hour = 3_600_000_000
    return (read_back < created - hour) | (read_back > created + 3 * hour)


def wrong_zone_detail(zone: str) -> str:
    """Manifest detail of a `confirmed_at_wrong_zone` row."""
    return f"{wrong_zone(zone)} wall-clock time (documented zone {zone})"


def orders_frame(batch: OrderBatch, state: OrderState, zone: str, rows: IntArray | None = None) -> Frame:
    """orders rows for ``rows`` of the batch (all when None) in the given state."""
    idx = np.arange(len(batch)) if rows is None else rows
    p = batch.plans
    currency_text = col.pick(CURRENCY_CODES, p.currency[idx])
    faulty = batch.currency_fault[idx] >= 0
    if faulty.any():
        currency_text = pc.if_else(
            pa.array(faulty), col.pick(UNKNOWN_CURRENCY_CODES, np.maximum(batch.currency_fault[idx], 0)), currency_text
        )
    return (
        Frame(len(idx))
        .uuid("id", p.order_id[idx])
        .text("order_number", p.order_number[idx])
        .uuid("buyer_id", p.buyer_id[idx])
        .text("status", col.pick(ORDER_STATUSES, state.status))
        .money("subtotal_amount", batch.subtotal[idx])
        .money("shipping_amount", batch.shipping[idx])
        .money("tax_amount", batch.tax[idx])
        .money("discount_amount", batch.discount[idx])
        .money("total_amount", batch.total[idx])
        .text("currency", currency_text)
        .text("shipping_country", col.pick(COUNTRY_CODES, batch.ship_country[idx]))
        .text("shipping_city", col.pick(_CITIES, batch.city[idx]))
        .text("shipping_postal_code", batch.postal.take(pa.array(idx)))
        .ts("created_at", p.created[idx])
        .ts("updated_at", state.updated)
        .ts("confirmed_at", confirmed_wall_clock(state.confirmed, zone, p.zone_fault[idx]))
        .ts("shipped_at", state.shipped)
        .ts("delivered_at", state.delivered)
    )


def order_items_frame(batch: OrderBatch, orders: IntArray | None = None) -> Frame:
    """order_items rows of the given orders of the batch (all when None)."""
    if orders is None:
        sel = np.arange(len(batch.item_id))
    else:
        keep = np.zeros(len(batch), dtype=np.bool_)
        keep[orders] = True
        sel = np.flatnonzero(keep[batch.item_order])
    p = batch.plans
    o = batch.item_order[sel]
    currency = col.pick(CURRENCY_CODES, p.currency[o])
    title = batch.item_title.take(pa.array(sel))
    snapshot = col.json_object(
        [
            ("title", title, True),
            ("price", col.money_text(batch.item_unit[sel]), True),
            ("currency", currency, True),
            ("category_id", col.int_text(batch.item_category[sel]), False),
        ]
    )
    return (
        Frame(len(sel))
        .uuid("id", batch.item_id[sel])
        .uuid("order_id", p.order_id[o])
        .uuid("product_id", batch.item_product[sel])
        .uuid("seller_id", batch.item_seller[sel])
        .integer("quantity", batch.item_quantity[sel])
        .money("unit_price", batch.item_unit[sel])
        .money("total_price", batch.item_total[sel])
        .text("currency", currency)
        .text("product_title", title)
        .json("product_snapshot", snapshot)
        .ts("created_at", p.created[o])
    )
