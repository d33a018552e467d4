"""event_log: domain events as the event collector received them.

Ids follow arrival (received_at) order. Most events arrive within seconds and in order; some arrive
hours or days late (and late-arriving business rows bring their old events with them), so id /
received_at order differs from event_timestamp order for those rows. A row is "out of order" when
its event_timestamp is earlier than the event_timestamp of some row with a smaller id; the generator
computes that set exactly and records it in the fault manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa

from marketplace_sim import columns as col
from marketplace_sim.columns import MICROS_PER_DAY, MICROS_PER_HOUR, IntArray, UuidArray
from marketplace_sim.faults import Manifest, choose
from marketplace_sim.lifecycle import ORDER_STATUSES, Plans, events_between
from marketplace_sim.pgbinary import Frame

EVENT_TYPES = (
    "user.registered",
    "product.listed",
    "order.placed",
    "order.shipped",
    "order.delivered",
    "order.cancelled",
    "order.refunded",
)
ENTITY_TYPES = ("user", "product", "order")
USER, PRODUCT, ORDER = range(3)
# plan instant -> (event type, order status named in the payload). Confirmation has no event of its
# own: the payment webhook (payments row) records it.
_ORDER_EVENTS = (
    ("created", 2, "pending"),
    ("shipped", 3, "shipped"),
    ("delivered", 4, "delivered"),
    ("cancelled", 5, "cancelled"),
    ("refunded", 6, "refunded"),
)
assert all(status in ORDER_STATUSES for _, _, status in _ORDER_EVENTS)
NO_FLOOR = np.iinfo(np.int64).min


@dataclass
class EventRows:
    event_type: IntArray
    entity_type: IntArray
    entity_id: UuidArray
    event_ts: IntArray
    received_floor: IntArray  # received no earlier than this (NO_FLOOR = on time)
    data: pa.Array

    def __len__(self) -> int:
        return len(self.event_type)


def concat_events(parts: list[EventRows]) -> EventRows:
    parts = [p for p in parts if len(p)]
    if not parts:
        empty = np.empty(0, dtype=np.int64)
        return EventRows(empty, empty, np.empty(0, dtype="V16"), empty, empty, pa.array([], pa.string()))
    return EventRows(
        **{
            f.name: (
                pa.concat_arrays([col.flat(getattr(p, f.name)) for p in parts])
                if f.name == "data"
                else np.concatenate([getattr(p, f.name) for p in parts])
            )
            for f in fields(EventRows)
        }
    )


def entity_events(
    event_type: int, entity_type: int, ids: UuidArray, at: IntArray, data: pa.Array, floor: IntArray | None = None
) -> EventRows:
    n = len(ids)
    return EventRows(
        event_type=np.full(n, event_type, dtype=np.int64),
        entity_type=np.full(n, entity_type, dtype=np.int64),
        entity_id=ids,
        event_ts=at.astype(np.int64),
        received_floor=np.full(n, NO_FLOOR, dtype=np.int64) if floor is None else floor.astype(np.int64),
        data=data,
    )


def order_events(plans: Plans, low: int, high: int, floor: IntArray | None = None) -> EventRows:
    """Events of every order transition in (low, high]; ``floor`` (per plan) delays their arrival."""
    parts = []
    for name, event_type, status in _ORDER_EVENTS:
        idx = events_between(plans, name, low, high)
        data = col.json_object(
            [
                ("order_number", col.text(plans.order_number[idx]), True),
                ("status", col.pick([status], np.zeros(len(idx), dtype=np.int64)), True),
            ]
        )
        parts.append(
            entity_events(
                event_type,
                ORDER,
                plans.order_id[idx],
                getattr(plans, name)[idx],
                data,
                None if floor is None else floor[idx],
            )
        )
    return concat_events(parts)


def finalize(
    rng: np.random.Generator,
    rows: EventRows,
    *,
    high: int,
    first_id: int,
    prior_max_ts: int,
    rates: dict[str, float],
    manifest: Manifest,
) -> Frame:
    """Decide arrival times, inject late and orphan events, assign ids and build the table."""
    n = len(rows)
    orphans = choose(rng, n, rates["orphan_event_entity"])
    original_entity = rows.entity_id[orphans].copy()
    rows.entity_id[orphans] = col.uuids(rng, len(orphans))
    late = np.zeros(n, dtype=np.bool_)
    late[choose(rng, n, rates["out_of_order_event"])] = True

    received = np.empty(n, dtype=np.int64)
    explicit = late | (rows.received_floor != NO_FLOOR)
    on_time = np.flatnonzero(~explicit)
    chain = on_time[np.argsort(rows.event_ts[on_time], kind="stable")]
    received[chain] = np.maximum.accumulate(
        rows.event_ts[chain] + col.uniform_between(rng, 50_000, 3_000_000, len(chain))
    )
    delay = np.where(
        late,
        col.uniform_between(rng, MICROS_PER_HOUR, 3 * MICROS_PER_DAY, n),
        col.uniform_between(rng, 50_000, 3_000_000, n),
    )
    received[explicit] = np.maximum(rows.event_ts + delay, rows.received_floor)[explicit]
    received = np.minimum(received, high)

    order = np.lexsort((np.arange(n), rows.event_ts, received))
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    ts = rows.event_ts[order]
    running = np.maximum.accumulate(np.concatenate([[prior_max_ts], ts]))[:-1]
    inverted = ts < running
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)

    manifest.add(
        "out_of_order_event",
        ids[inverted],
        received[order][inverted],
        pa.array(np.where(late[order][inverted], "delivered late", "late-arriving row"), pa.string()),
    )
    manifest.add(
        "orphan_event_entity",
        ids[position[orphans]],
        received[orphans],
        col.join("replaces ", col.pick(ENTITY_TYPES, rows.entity_type[orphans]), " ", col.uuid_text(original_entity)),
    )
    processed = (received[order] < high - MICROS_PER_HOUR) & (rng.random(n) >= 0.01)
    return (
        Frame(n)
        .integer("id", ids)
        .text("event_type", col.pick(EVENT_TYPES, rows.event_type[order]))
        .text("entity_type", col.pick(ENTITY_TYPES, rows.entity_type[order]))
        .uuid("entity_id", rows.entity_id[order])
        .json("event_data", rows.data.take(pa.array(order)))
        .ts("event_timestamp", rows.event_ts[order])
        .ts("received_at", received[order])
        .boolean("processed", processed)
    )
