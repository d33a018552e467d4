"""A day of orders: planned lifecycle events, new and late-arriving orders, payments, reviews."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pyarrow as pa

from marketplace_sim import columns as col
from marketplace_sim import fetch as f
from marketplace_sim.clock import HISTORY_DAYS, from_micros
from marketplace_sim.columns import MICROS_PER_DAY, MICROS_PER_HOUR, NEVER, IntArray
from marketplace_sim.day import EARLIEST, Day, Participants, fixed_width, index_sql, update, within
from marketplace_sim.day_shipments import simulate_shipments
from marketplace_sim.events import order_events
from marketplace_sim.faults import choose
from marketplace_sim.history import ORDER_GROWTH, ORDERS_PER_SCALE
from marketplace_sim.lifecycle import (
    ORDER_STATUSES,
    PLAN_COLUMNS,
    TIME_FIELDS,
    Plans,
    concat_plans,
    plans_frame,
    state_at,
)
from marketplace_sim.orders import (
    CatalogPool,
    confirmed_wall_clock,
    generate_orders,
    mismatch_totals,
    order_items_frame,
    orders_frame,
    wrong_zone_detail,
    wrong_zone_detectable,
)
from marketplace_sim.payments import (
    PAYMENT_STATUSES,
    REFUNDED,
    PaymentRows,
    add_replays,
    concat_payments,
    payment_rows,
    payments_frame,
    with_payment_shapes,
)
from marketplace_sim.pgbinary import Frame, copy_frame
from marketplace_sim.reference import CURRENCY_CODES, PAYMENT_PROVIDERS, UNKNOWN_CURRENCY_CODES
from marketplace_sim.reviews import generate_reviews, reviews_frame

# New orders per day and unit of scale: the pace at the end of the seeded history.
ORDERS_PER_SCALE_DAY = ORDERS_PER_SCALE / HISTORY_DAYS * (1 + ORDER_GROWTH) / (1 + ORDER_GROWTH / 2)
LATE_ORDER_SHARE = 0.03  # new orders that arrive 1-5 days after they were placed


def _due_plans(day: Day) -> Plans:
    """The lifecycle plans with an event before the end of the day, in order_id order."""
    times = [f.micros(PLAN_COLUMNS[name]) for name in TIME_FIELDS]
    values = f.fetch(
        day.conn,
        [
            f.uuid("order_id"),
            f.uuid("buyer_id"),
            f.integer(index_sql("currency", CURRENCY_CODES)),
            f.integer("charge_cents"),
            f.integer(index_sql("payment_provider", tuple(name for name, _, _ in PAYMENT_PROVIDERS))),
            f.flag("zone_fault"),
            f.uuid("review_item_id"),
            f.uuid("review_product_id"),
            f.text("order_number"),
            *times,
        ],
        "FROM meta.order_lifecycle WHERE next_at <= %s",
        [from_micros(day.high)],
    )
    order_id, buyer_id, currency, charge, provider, zone_fault, review_item, review_product, numbers = values[:9]
    return Plans(
        order_id=order_id,
        order_number=fixed_width(numbers, 18),
        buyer_id=buyer_id,
        currency=currency,
        charge=charge,
        provider=provider,
        zone_fault=zone_fault,
        review_item_id=review_item,
        review_product_id=review_product,
        **{name: values[9 + pos] for pos, name in enumerate(TIME_FIELDS)},
    )


def _catalog(day: Day) -> CatalogPool:
    """Listings on sale by the end of the day, in id order."""
    ids, seller, price, currency, category, published, titles = f.fetch(
        day.conn,
        [
            f.uuid("id"),
            f.uuid("seller_id"),
            f.cents("price_amount"),
            f.integer(index_sql("price_currency", CURRENCY_CODES)),
            f.integer("category_id"),
            f.micros("published_at"),
            f.text("title"),
        ],
        "FROM products WHERE status = 'active' AND published_at <= %s",
        [from_micros(day.high)],
    )
    known = np.flatnonzero(currency >= 0)
    return CatalogPool(
        ids[known],
        seller[known],
        price[known],
        currency[known],
        titles.take(pa.array(known)),
        category[known],
        published[known],
    )


def _last_order_numbers(day: Day, created: IntArray) -> dict[int, int]:
    if len(created) == 0:
        return {}
    first_day = from_micros(int(created.min())).strftime("%Y%m%d")
    rows = day.conn.execute(
        "SELECT substr(order_number, 5, 8), max(substr(order_number, 14)::int) FROM orders "
        "WHERE order_number >= %s GROUP BY 1",
        [f"ORD-{first_day}"],
    ).fetchall()
    epoch = datetime(1970, 1, 1).date()
    return {(datetime.strptime(day, "%Y%m%d").date() - epoch).days: int(seq) for day, seq in rows}


# A charge changed in place is seen by extract-load only inside the payments stream's 7-day look-back.
_REFUND_ON_CHARGE_WINDOW = 6 * MICROS_PER_DAY


def _refunds_on_stored_charges(day: Day, rng: np.random.Generator, payments: PaymentRows) -> PaymentRows:
    """`refund_status_on_payment` in `advance`: a rate share of today's refunds whose charge is already
    stored (created at most 6 days ago, first delivery of its event) are recorded by setting that
    charge's status to 'refunded' in place, and today's reversal row is not written."""
    refunds = np.flatnonzero(payments.status == REFUNDED)
    rate = day.rates["refund_status_on_payment"]
    if len(refunds) == 0 or rate <= 0:
        return payments
    charge_id, charge_order = f.fetch(
        day.conn,
        [f.uuid("p.id"), f.uuid("p.order_id")],
        "FROM payments p WHERE p.status = 'completed' AND p.amount IS NOT NULL"
        " AND p.created_at >= to_timestamp(%s::bigint / 1000000.0) AND p.order_id = ANY(%s::uuid[])"
        " AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.event_id = p.event_id"
        " AND (q.created_at, q.id) < (p.created_at, p.id))",
        [day.high - _REFUND_ON_CHARGE_WINDOW, col.uuid_text(payments.order_id[refunds]).to_pylist()],
    )
    if len(charge_id) == 0:
        return payments
    # the refunds whose order has such a charge (one charge per order)
    keys = np.concatenate([charge_order, payments.order_id[refunds]])
    _, codes = np.unique(keys, return_inverse=True)
    codes = codes.reshape(-1)
    charge_at = np.full(len(keys), -1, dtype=np.int64)
    charge_at[codes[: len(charge_order)]] = np.arange(len(charge_order))
    charge_of = charge_at[codes[len(charge_order) :]]
    eligible = np.flatnonzero(charge_of >= 0)
    picked = eligible[choose(rng, len(eligible), rate)]
    if len(picked) == 0:
        return payments
    changed = charge_id[charge_of[picked]]
    refunded = col.pick(PAYMENT_STATUSES, np.full(len(changed), REFUNDED, dtype=np.int64))
    update(day.conn, "payments", Frame(len(changed)).uuid("id", changed).text("status", refunded))
    day.manifest.add(
        "refund_status_on_payment",
        changed,
        payments.created[refunds[picked]],
        "refund recorded on the stored charge (status changed in place)",
    )
    day.note("payments", "refunded_in_place", len(changed))
    keep = np.ones(len(payments), dtype=np.bool_)
    keep[refunds[picked]] = False
    return payments.take(np.flatnonzero(keep))


def simulate_orders(day: Day, participants: Participants) -> None:
    """Apply the day's planned order events, place new (and late-arriving) orders, write their
    items, payments, shipments, events and reviews, and keep the lifecycle plans up to date."""
    rng, fault_rng = day.rng(5), day.rng(6)
    low, high = day.low, day.high
    due = _due_plans(day)
    before, after = state_at(due, low), state_at(due, high)
    changed = np.flatnonzero((before.status != after.status) | (before.updated != after.updated))
    update(
        day.conn,
        "orders",
        Frame(len(changed))
        .uuid("id", due.order_id[changed])
        .text("status", col.pick(ORDER_STATUSES, after.status[changed]))
        .ts("updated_at", after.updated[changed])
        .ts("confirmed_at", confirmed_wall_clock(after.confirmed[changed], day.zone, due.zone_fault[changed]))
        .ts("shipped_at", after.shipped[changed])
        .ts("delivered_at", after.delivered[changed]),
    )
    day.note("orders", "status_changed", len(changed))
    newly = np.flatnonzero((due.confirm > low) & (due.confirm <= high) & due.zone_fault)
    day.manifest.add("confirmed_at_wrong_zone", due.order_id[newly], due.confirm[newly], wrong_zone_detail(day.zone))

    # new orders (none when nobody can buy or nothing is on sale); a few arrive days after they were placed
    catalog = _catalog(day)
    open_for_business = len(catalog.id) > 0 and len(participants.buyers.id) > 0
    n_new = int(rng.poisson(ORDERS_PER_SCALE_DAY * day.scale)) if open_for_business else 0
    inserted = within(rng, low, high, n_new)
    late = rng.random(n_new) < LATE_ORDER_SHARE
    delay = col.uniform_between(rng, MICROS_PER_DAY, 5 * MICROS_PER_DAY, n_new)
    placed = np.where(late, inserted - delay, inserted)
    order = np.lexsort((inserted, placed))
    placed, inserted, late = placed[order], inserted[order], late[order]
    batch = generate_orders(rng, placed, participants.buyers, catalog, _last_order_numbers(day, placed))
    fresh = batch.plans
    # nothing about a late order is visible before it arrives, except its own past
    fresh.review = np.where(
        fresh.review < inserted,
        inserted + col.uniform_between(rng, MICROS_PER_HOUR, MICROS_PER_DAY, n_new),
        fresh.review,
    )
    hit = choose(fault_rng, n_new, day.rates["order_total_mismatch"])
    old_total = batch.total[hit].copy()
    mismatch_totals(fault_rng, batch, hit)
    day.manifest.add(
        "order_total_mismatch",
        fresh.order_id[hit],
        fresh.created[hit],
        col.join("total_amount off by ", col.money_text(batch.total[hit] - old_total)),
    )
    hit = choose(fault_rng, n_new, day.rates["unknown_currency"])
    batch.currency_fault[hit] = fault_rng.integers(0, len(UNKNOWN_CURRENCY_CODES), len(hit))
    day.manifest.add(
        "unknown_currency",
        fresh.order_id[hit],
        fresh.created[hit],
        col.join("charged in ", col.pick(CURRENCY_CODES, fresh.currency[hit])),
    )
    hit = choose(fault_rng, n_new, day.rates["confirmed_at_wrong_zone"])
    hit = hit[fresh.confirm[hit] != NEVER]
    hit = hit[wrong_zone_detectable(fresh.created[hit], fresh.confirm[hit], day.zone)]
    fresh.zone_fault[hit] = True
    written = hit[fresh.confirm[hit] <= high]
    day.manifest.add(
        "confirmed_at_wrong_zone", fresh.order_id[written], fresh.confirm[written], wrong_zone_detail(day.zone)
    )
    now_state = state_at(fresh, high)
    now_state.updated = np.maximum(now_state.updated, inserted)  # late arrivals: updated_at = arrival
    day.insert("orders", orders_frame(batch, now_state, day.zone))
    day.note("orders", "late_arriving", int(late.sum()))
    day.insert("order_items", order_items_frame(batch))

    payments = concat_payments([payment_rows(rng, due, low, high), payment_rows(rng, fresh, EARLIEST, high)])
    payments = _refunds_on_stored_charges(day, fault_rng, payments)
    payments = with_payment_shapes(rng, fresh, payments, EARLIEST, high, day.rates, day.manifest)
    before_replays = len(payments)
    payments = add_replays(rng, payments, day.rates["duplicate_payment_webhook"], high, day.manifest)
    day.insert("payments", payments_frame(payments))
    day.note("payments", "webhook_replays", len(payments) - before_replays)
    simulate_shipments(day, due, fresh, inserted)

    day.events.append(order_events(due, low, high))
    day.events.append(order_events(fresh, EARLIEST, high, floor=inserted))

    everyone = concat_plans([due, fresh])
    reviews = generate_reviews(
        rng, everyone, low, high, low, catalog.id, participants.buyers.id, day.rates, day.manifest
    )
    day.insert("reviews", reviews_frame(reviews))

    # plans: drop the finished ones, move the others' next event, add the new ones
    day.conn.execute("DELETE FROM meta.order_lifecycle WHERE next_at <= %s", [from_micros(high)])
    next_at = everyone.next_after(high)
    pending = np.flatnonzero(next_at != NEVER)
    plans = plans_frame(everyone.take(pending), next_at[pending])
    copy_frame(day.conn, "order_lifecycle", plans, schema="meta")
