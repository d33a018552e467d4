"""Payments: one row per payment-provider webhook the marketplace stored.

Rows are immutable (extract-load reads them incrementally on created_at): a completed charge, a
failed attempt, a refund (a reversal row with negative amounts) and a dispute are separate rows.
Providers retry webhooks: a replay is stored as a new row with a new id but the same event_id.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from marketplace_elt.source import columns as col
from marketplace_elt.source.columns import NEVER, BoolArray, BytesArray, IntArray, UuidArray
from marketplace_elt.source.faults import Manifest, choose
from marketplace_elt.source.lifecycle import Plans, events_between
from marketplace_elt.source.pgbinary import Frame
from marketplace_elt.source.reference import CURRENCIES, CURRENCY_CODES, PAYMENT_PROVIDERS, PLATFORM_FEE_BPS

PAYMENT_STATUSES = ("pending", "processing", "completed", "failed", "refunded", "disputed")
COMPLETED, FAILED, REFUNDED, DISPUTED = 2, 3, 4, 5
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
        .money("amount", rows.amount)
        .money("platform_fee", rows.fee, rows.no_fee)
        .money("seller_payout", rows.payout, rows.no_fee)
        .text("currency", col.pick(CURRENCY_CODES, rows.currency))
        .text("status", col.pick(PAYMENT_STATUSES, rows.status))
        .ts("created_at", rows.created)
        .ts("processed_at", rows.processed)
        .text("event_id", col.join("evt_", col.text(rows.event_id)))
        .ts("event_timestamp", rows.event_ts)
    )
