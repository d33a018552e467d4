"""Payments: one row per payment-provider webhook the marketplace stored.

A completed charge, a failed attempt, a refund (a reversal row with negative amounts) and a dispute
are separate rows, written once (extract-load reads incrementally on created_at, with a 7-day
look-back). Providers retry webhooks: a replay is stored as a new row with a new id but the same
event_id. Shapes real payment tables also have, each injected at its configured rate and recorded
in the manifest: a refund recorded as a status change on the original charge (status 'refunded',
positive amount, no reversal row; `advance` changes the stored charge in place, only when it was
created at most 6 days earlier), a charge with a NULL amount, and a 'pending' webhook stored before
the charge completes (it stays 'pending'; an order not yet confirmed has only that one).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim.columns import NEVER, BoolArray, BytesArray, IntArray, UuidArray
from marketplace_sim.faults import Manifest, choose
from marketplace_sim.lifecycle import Plans, events_between
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import CURRENCIES, CURRENCY_CODES, PAYMENT_PROVIDERS, PLATFORM_FEE_BPS

PAYMENT_STATUSES = ("pending", "processing", "completed", "failed", "refunded", "disputed")
PENDING, COMPLETED, FAILED, REFUNDED, DISPUTED = 0, 2, 3, 4, 5
# plan instant -> payment status it produces
_KINDS = (("failed_payment", FAILED), ("confirm", COMPLETED), ("refunded", REFUNDED), ("disputed", DISPUTED))
_UNIT = np.array([1 if c.decimals == 2 else 100 for c in CURRENCIES], dtype=np.int64)
_SECOND = 1_000_000


@dataclass
class PaymentRows:
    id: UuidArray
    order_id: UuidArray
    provider: IntArray
    provider_ref: BytesArray
    amount: IntArray
    amount_null: BoolArray  # amount NULL (the null_payment_amount fault)
    fee: IntArray
    payout: IntArray
    no_fee: BoolArray  # platform_fee / seller_payout NULL (nothing was paid out)
    currency: IntArray
    status: IntArray
    created: IntArray
    processed: IntArray  # NEVER = NULL
    event_id: BytesArray
    event_ts: IntArray

    def __len__(self) -> int:
        return len(self.id)

    def take(self, index: IntArray) -> PaymentRows:
        return PaymentRows(**{f.name: getattr(self, f.name)[index] for f in fields(self)})


def concat_payments(parts: list[PaymentRows]) -> PaymentRows:
    return PaymentRows(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(PaymentRows)})


def payment_rows(rng: np.random.Generator, plans: Plans, low: int, high: int) -> PaymentRows:
    """The payment rows of every plan event in (low, high], in chronological order."""
    pos_parts, status_parts, time_parts = [], [], []
    for name, kind in _KINDS:
        idx = events_between(plans, name, low, high)
        pos_parts.append(idx)
        status_parts.append(np.full(len(idx), kind, dtype=np.int64))
        time_parts.append(getattr(plans, name)[idx])
    pos = np.concatenate(pos_parts)
    status = np.concatenate(status_parts)
    created = np.concatenate(time_parts)
    order = np.lexsort((status, created))
    pos, status, created = pos[order], status[order], created[order]
    n = len(pos)

    charge = plans.charge[pos]
    unit = _UNIT[plans.currency[pos]]
    fee = ((charge * PLATFORM_FEE_BPS // 10_000 + unit // 2) // unit) * unit
    payout = charge - fee
    sign = np.where(status == REFUNDED, -1, 1)
    provider = plans.provider[pos]
    processed = np.minimum(created + col.uniform_between(rng, _SECOND // 2, 20 * _SECOND, n), high)
    return PaymentRows(
        id=col.uuids(rng, n),
        order_id=plans.order_id[pos],
        provider=provider,
        provider_ref=col.hex_tokens(rng, n, 24),
        amount=charge * sign,
        amount_null=np.zeros(n, dtype=np.bool_),
        fee=fee * sign,
        payout=payout * sign,
        no_fee=(status == FAILED) | (status == DISPUTED),
        currency=plans.currency[pos],
        status=status,
        created=created,
        processed=np.where(status == DISPUTED, NEVER, processed),
        event_id=col.hex_tokens(rng, n, 24),
        event_ts=created - col.uniform_between(rng, _SECOND // 5, 3 * _SECOND, n),
    )


def _by_order(rows: PaymentRows, positions: IntArray, among: IntArray) -> IntArray:
    """For each row at ``positions``, the row of ``among`` with the same order_id (-1 when none)."""
    keys = np.concatenate([rows.order_id[among], rows.order_id[positions]])
    _, codes = np.unique(keys, return_inverse=True)
    codes = codes.reshape(-1)
    owner = np.full(len(keys), -1, dtype=np.int64)
    owner[codes[: len(among)]] = among
    return owner[codes[len(among) :]]


def record_refunds_on_charges(
    rng: np.random.Generator, rows: PaymentRows, rate: float, manifest: Manifest
) -> PaymentRows:
    """A ``rate`` share of the refunds whose charge is in ``rows`` are recorded as a status change on
    that charge (status 'refunded', positive amount and fees kept) instead of a reversal row."""
    refunds = np.flatnonzero(rows.status == REFUNDED)
    charges = np.flatnonzero(rows.status == COMPLETED)
    if len(refunds) == 0 or len(charges) == 0:
        return rows
    charge_of = _by_order(rows, refunds, charges)
    eligible = np.flatnonzero(charge_of >= 0)
    picked = eligible[choose(rng, len(eligible), rate)]
    if len(picked) == 0:
        return rows
    changed = charge_of[picked]
    rows.status[changed] = REFUNDED
    manifest.add(
        "refund_status_on_payment",
        rows.id[changed],
        rows.created[refunds[picked]],
        "refund recorded on the charge (status refunded, positive amount, no reversal row)",
    )
    keep = np.ones(len(rows), dtype=np.bool_)
    keep[refunds[picked]] = False
    return rows.take(np.flatnonzero(keep))


def null_amounts(rng: np.random.Generator, rows: PaymentRows, rate: float, manifest: Manifest) -> PaymentRows:
    """A ``rate`` share of the completed charges are stored with a NULL amount."""
    charges = np.flatnonzero(rows.status == COMPLETED)
    picked = charges[choose(rng, len(charges), rate)]
    rows.amount_null[picked] = True
    manifest.add("null_payment_amount", rows.id[picked], rows.created[picked], "completed charge with amount NULL")
    return rows


def add_pending_webhooks(
    rng: np.random.Generator, plans: Plans, low: int, high: int, rate: float, manifest: Manifest
) -> PaymentRows:
    """'pending' webhooks, 5-60 s after creation, for a ``rate`` share of the orders created in (low,
    high] that are not cancelled before confirmation: the charge that follows is a separate row."""
    placed = np.flatnonzero((plans.created > low) & (plans.created <= high) & (plans.cancelled == NEVER))
    pos = placed[choose(rng, len(placed), rate)]
    n = len(pos)
    created = np.minimum(plans.created[pos] + col.uniform_between(rng, 5 * _SECOND, 60 * _SECOND, n), high)
    rows = PaymentRows(
        id=col.uuids(rng, n),
        order_id=plans.order_id[pos],
        provider=plans.provider[pos],
        provider_ref=col.hex_tokens(rng, n, 24),
        amount=plans.charge[pos],
        amount_null=np.zeros(n, dtype=np.bool_),
        fee=np.zeros(n, dtype=np.int64),
        payout=np.zeros(n, dtype=np.int64),
        no_fee=np.ones(n, dtype=np.bool_),
        currency=plans.currency[pos],
        status=np.full(n, PENDING, dtype=np.int64),
        created=created,
        processed=np.full(n, NEVER, dtype=np.int64),
        event_id=col.hex_tokens(rng, n, 24),
        event_ts=created - col.uniform_between(rng, _SECOND // 5, 3 * _SECOND, n),
    )
    manifest.add("pending_payment_webhook", rows.id, rows.created, "pending webhook before the charge")
    return rows


def with_payment_shapes(
    rng: np.random.Generator,
    plans: Plans,
    rows: PaymentRows,
    low: int,
    high: int,
    rates: Mapping[str, float],
    manifest: Manifest,
) -> PaymentRows:
    """The rows with the refund-on-charge, NULL-amount and pending-webhook shapes applied (before
    replays, so a replayed webhook repeats its shape), in chronological order."""
    rows = record_refunds_on_charges(rng, rows, rates["refund_status_on_payment"], manifest)
    rows = null_amounts(rng, rows, rates["null_payment_amount"], manifest)
    pending = add_pending_webhooks(rng, plans, low, high, rates["pending_payment_webhook"], manifest)
    merged = concat_payments([rows, pending])
    return merged.take(np.argsort(merged.created, kind="stable"))


def add_replays(rng: np.random.Generator, rows: PaymentRows, rate: float, high: int, manifest: Manifest) -> PaymentRows:
    """Append webhook replays of a ``rate`` share of the rows: same event, new id, seconds later."""
    picked = choose(rng, len(rows), rate)
    if len(picked) == 0:
        return rows
    replay = rows.take(picked)
    delay = col.uniform_between(rng, _SECOND, 30 * _SECOND, len(picked))
    shifted = np.minimum(replay.created + delay, high)
    replay.processed = np.where(
        replay.processed == NEVER, NEVER, np.minimum(replay.processed + (shifted - replay.created), high)
    )
    replay.created = shifted
    replay.id = col.uuids(rng, len(picked))
    manifest.add(
        "duplicate_payment_webhook",
        replay.id,
        replay.created,
        col.join("replays payment ", col.uuid_text(rows.id[picked])),
    )
    merged = concat_payments([rows, replay])
    return merged.take(np.argsort(merged.created, kind="stable"))


def payments_frame(rows: PaymentRows) -> Frame:
    prefixes = [prefix for _, _, prefix in PAYMENT_PROVIDERS]
    return (
        Frame(len(rows))
        .uuid("id", rows.id)
        .uuid("order_id", rows.order_id)
        .text("payment_provider", col.pick([name for name, _, _ in PAYMENT_PROVIDERS], rows.provider))
        .text("payment_provider_id", col.join(col.pick(prefixes, rows.provider), col.text(rows.provider_ref)))
        .money("amount", rows.amount, rows.amount_null)
        .money("platform_fee", rows.fee, rows.no_fee)
        .money("seller_payout", rows.payout, rows.no_fee)
        .text("currency", col.pick(CURRENCY_CODES, rows.currency))
        .text("status", col.pick(PAYMENT_STATUSES, rows.status))
        .ts("created_at", rows.created)
        .ts("processed_at", rows.processed)
        .text("event_id", col.join("evt_", col.text(rows.event_id)))
        .ts("event_timestamp", rows.event_ts)
    )
