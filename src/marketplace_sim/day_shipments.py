"""A day of shipments: labels for orders that went into processing, and carrier updates of the
parcels whose order shipped, was delivered, refunded or disputed during the day."""

from __future__ import annotations

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim import fetch as f
from marketplace_sim.columns import IntArray
from marketplace_sim.day import Day, index_sql, update
from marketplace_sim.lifecycle import Plans
from marketplace_sim.shipments import (
    SHIPMENT_STATUSES,
    StoredShipments,
    new_shipments,
    shipment_changes,
    shipments_frame,
)


def _stored(day: Day, plans: Plans, positions: IntArray) -> StoredShipments:
    """The stored parcels of the orders at ``positions``, in id order, with their plan position."""
    ids, order_id, status, shipped, delivered = f.fetch(
        day.conn,
        [
            f.uuid("id"),
            f.uuid("order_id"),
            f.integer(index_sql("status", SHIPMENT_STATUSES)),
            f.micros("shipped_at"),
            f.micros("delivered_at"),
        ],
        "FROM shipments WHERE order_id = ANY(%s::uuid[])",
        [col.uuid_text(plans.order_id[positions]).to_pylist()],
    )
    keys = np.concatenate([plans.order_id[positions], order_id])
    _, codes = np.unique(keys, return_inverse=True)
    codes = codes.reshape(-1)
    owner = np.full(len(keys), -1, dtype=np.int64)
    owner[codes[: len(positions)]] = positions
    return StoredShipments(
        id=ids, plan=owner[codes[len(positions) :]], status=status, shipped=shipped, delivered=delivered
    )


def simulate_shipments(day: Day, due: Plans, fresh: Plans, arrived: IntArray) -> None:
    """Update the parcels of today's due orders, then label today's processed and newly arrived
    orders (``arrived``: when each fresh order reached the source)."""
    rng = day.rng(9)
    low, high = day.low, day.high

    def inside(t: IntArray) -> np.ndarray:
        return (t > low) & (t <= high)

    moving = np.flatnonzero(
        (due.processing <= low)
        & (inside(due.shipped) | inside(due.delivered) | inside(due.refunded) | inside(due.disputed))
    )
    rate = day.rates["shipment_delivered_before_shipped"]
    changes = shipment_changes(rng, due, _stored(day, due, moving), low, high, rate, day.manifest)
    update(day.conn, "shipments", changes)
    day.note("shipments", "status_changed", changes.num_rows)

    labelled = new_shipments(rng, due, np.flatnonzero(inside(due.processing)), high, day.rates, day.manifest)
    day.insert("shipments", shipments_frame(labelled))
    late = new_shipments(
        rng, fresh, np.flatnonzero(fresh.processing <= high), high, day.rates, day.manifest, floor=arrived
    )
    day.insert("shipments", shipments_frame(late), change="with_new_orders")
