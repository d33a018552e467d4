"""Order lifecycles: every order's future is planned when it is placed.

A plan fixes when the order is confirmed, processed, shipped, delivered, cancelled or refunded, and
when a payment fails, a dispute is opened or the buyer writes a review. The state of an order at any
simulated instant is a pure function of its plan, so the seed (state at the seed's "now") and
``advance`` (the events inside each new simulated day) always agree, and timestamps are consistent
with statuses by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim.columns import (
    MICROS_PER_DAY,
    MICROS_PER_HOUR,
    NEVER,
    BoolArray,
    BytesArray,
    IntArray,
    UuidArray,
)
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import CURRENCY_CODES, PAYMENT_PROVIDERS

ORDER_STATUSES = ("pending", "confirmed", "processing", "shipped", "delivered", "cancelled", "refunded")
PENDING, CONFIRMED, PROCESSING, SHIPPED, DELIVERED, CANCELLED, REFUNDED = range(7)
MINUTE = 60_000_000

# Share of orders per fate; the rest are delivered normally.
CANCEL_BEFORE_CONFIRM = 0.03
CANCEL_AFTER_CONFIRM = 0.02
REFUND_AFTER_DELIVERY = 0.03
DISPUTE_AFTER_DELIVERY = 0.01
REVIEW_AFTER_DELIVERY = 0.25
FAILED_FIRST_PAYMENT = 0.03

# The columns of a plan that hold planned instants (NEVER when the event does not happen).
TIME_FIELDS = (
    "created",
    "confirm",
    "processing",
    "shipped",
    "delivered",
    "cancelled",
    "refunded",
    "disputed",
    "review",
    "failed_payment",
)
# Those that change the order row itself (status / timestamps / updated_at).
ORDER_ROW_FIELDS = ("created", "confirm", "processing", "shipped", "delivered", "cancelled", "refunded")


@dataclass
class Plans:
    """One planned lifecycle per order, plus what later events need to know about the order."""

    order_id: UuidArray
    order_number: BytesArray  # 'ORD-YYYYMMDD-NNNNN'
    buyer_id: UuidArray
    currency: IntArray  # index into CURRENCIES of the currency actually charged
    charge: IntArray  # amount charged, hundredths
    provider: IntArray  # index into PAYMENT_PROVIDERS
    zone_fault: BoolArray  # confirmed_at gets written as UTC wall-clock time
    review_item_id: UuidArray
    review_product_id: UuidArray
    created: IntArray
    confirm: IntArray
    processing: IntArray
    shipped: IntArray
    delivered: IntArray
    cancelled: IntArray
    refunded: IntArray
    disputed: IntArray
    review: IntArray
    failed_payment: IntArray

    def __len__(self) -> int:
        return len(self.order_id)

    def take(self, index: IntArray | BoolArray) -> Plans:
        return Plans(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    def times(self) -> list[IntArray]:
        return [getattr(self, name) for name in TIME_FIELDS]

    def next_after(self, moment: int) -> IntArray:
        """Earliest planned instant after ``moment`` (NEVER when nothing is left)."""
        later = [np.where(t > moment, t, NEVER) for t in self.times()]
        return np.minimum.reduce(later)


def concat_plans(parts: list[Plans]) -> Plans:
    return Plans(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(Plans)})


@dataclass
class Schedule:
    confirm: IntArray
    processing: IntArray
    shipped: IntArray
    delivered: IntArray
    cancelled: IntArray
    refunded: IntArray
    disputed: IntArray
    review: IntArray
    failed_payment: IntArray


def plan_schedules(rng: np.random.Generator, created: IntArray) -> Schedule:
    """Draw the fate and the planned instants of orders placed at ``created``."""
    n = len(created)
    never = np.full(n, NEVER, dtype=np.int64)
    fate = rng.random(n)
    cancel_pending = fate < CANCEL_BEFORE_CONFIRM
    cancel_confirmed = (fate >= CANCEL_BEFORE_CONFIRM) & (fate < CANCEL_BEFORE_CONFIRM + CANCEL_AFTER_CONFIRM)
    goes_through = ~(cancel_pending | cancel_confirmed)

    confirm = created + col.uniform_between(rng, MINUTE, 120 * MINUTE, n)
    processing = confirm + col.uniform_between(rng, 10 * MINUTE, 12 * MICROS_PER_HOUR, n)
    shipped = processing + col.uniform_between(rng, 6 * MICROS_PER_HOUR, 72 * MICROS_PER_HOUR, n)
    delivered = shipped + col.uniform_between(rng, MICROS_PER_DAY, 7 * MICROS_PER_DAY, n)
    after_delivery = rng.random(n)
    refund = goes_through & (after_delivery < REFUND_AFTER_DELIVERY)
    dispute = (
        goes_through
        & (after_delivery >= REFUND_AFTER_DELIVERY)
        & (after_delivery < REFUND_AFTER_DELIVERY + DISPUTE_AFTER_DELIVERY)
    )
    review = goes_through & (rng.random(n) < REVIEW_AFTER_DELIVERY)
    cancelled = np.where(
        cancel_pending,
        created + col.uniform_between(rng, 15 * MINUTE, 48 * MICROS_PER_HOUR, n),
        np.where(cancel_confirmed, confirm + col.uniform_between(rng, 20 * MINUTE, 20 * MICROS_PER_HOUR, n), NEVER),
    )
    failed_roll = rng.random(n)
    failed = np.where(
        cancel_pending & (failed_roll < 0.5),
        created + col.uniform_between(rng, MINUTE, 10 * MINUTE, n),
        np.where(
            ~cancel_pending & (failed_roll < FAILED_FIRST_PAYMENT),
            created + ((confirm - created) * rng.random(n) * 0.9).astype(np.int64),
            NEVER,
        ),
    )
    return Schedule(
        confirm=np.where(cancel_pending, never, confirm),
        processing=np.where(goes_through, processing, never),
        shipped=np.where(goes_through, shipped, never),
        delivered=np.where(goes_through, delivered, never),
        cancelled=cancelled,
        refunded=np.where(refund, delivered + col.uniform_between(rng, MICROS_PER_DAY, 25 * MICROS_PER_DAY, n), never),
        disputed=np.where(
            dispute, delivered + col.uniform_between(rng, 2 * MICROS_PER_DAY, 30 * MICROS_PER_DAY, n), never
        ),
        review=np.where(review, delivered + col.uniform_between(rng, MICROS_PER_DAY, 20 * MICROS_PER_DAY, n), never),
        failed_payment=failed.astype(np.int64),
    )


@dataclass
class OrderState:
    """What the orders row shows at one instant."""

    status: IntArray
    updated: IntArray
    confirmed: IntArray  # NEVER = NULL
    shipped: IntArray
    delivered: IntArray


def state_at(plans: Plans, moment: int) -> OrderState:
    def seen(t: IntArray) -> BoolArray:
        return t <= moment

    status = np.full(len(plans), PENDING, dtype=np.int64)
    for code, t in (
        (CONFIRMED, plans.confirm),
        (PROCESSING, plans.processing),
        (SHIPPED, plans.shipped),
        (DELIVERED, plans.delivered),
        (CANCELLED, plans.cancelled),
        (REFUNDED, plans.refunded),
    ):
        status = np.where(seen(t), code, status)
    updated = np.maximum.reduce(
        [np.where(seen(getattr(plans, name)), getattr(plans, name), plans.created) for name in ORDER_ROW_FIELDS]
    )
    return OrderState(
        status=status,
        updated=updated,
        confirmed=np.where(seen(plans.confirm), plans.confirm, NEVER),
        shipped=np.where(seen(plans.shipped), plans.shipped, NEVER),
        delivered=np.where(seen(plans.delivered), plans.delivered, NEVER),
    )


def events_between(plans: Plans, name: str, low: int, high: int) -> IntArray:
    """Positions of plans whose ``name`` instant falls in (low, high]."""
    t = getattr(plans, name)
    return np.flatnonzero((t > low) & (t <= high))


def plans_frame(plans: Plans, next_at: IntArray) -> Frame:
    """Rows of meta.order_lifecycle for plans that still have events after the simulated now."""
    frame = (
        Frame(len(plans))
        .uuid("order_id", plans.order_id)
        .text("order_number", plans.order_number)
        .uuid("buyer_id", plans.buyer_id)
        .text("currency", col.pick(CURRENCY_CODES, plans.currency))
        .integer("charge_cents", plans.charge)
        .text("payment_provider", col.pick([name for name, _, _ in PAYMENT_PROVIDERS], plans.provider))
        .boolean("zone_fault", plans.zone_fault)
        .uuid("review_item_id", plans.review_item_id)
        .uuid("review_product_id", plans.review_product_id)
    )
    for name in TIME_FIELDS:
        frame.ts(PLAN_COLUMNS[name], getattr(plans, name))
    return frame.ts("next_at", next_at)


# Plans attribute -> meta.order_lifecycle column
PLAN_COLUMNS = {
    "created": "created_at",
    "confirm": "confirm_at",
    "processing": "processing_at",
    "shipped": "shipped_at",
    "delivered": "delivered_at",
    "cancelled": "cancelled_at",
    "refunded": "refunded_at",
    "disputed": "disputed_at",
    "review": "review_at",
    "failed_payment": "failed_payment_at",
}
