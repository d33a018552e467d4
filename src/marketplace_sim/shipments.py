"""Shipments: the parcels an order is sent in, as the fulfilment service records them.

A parcel row is written with its label when the order goes into processing (status
'label_created'), and updated at the order's planned instants: picked up by the carrier when the
order ships ('in_transit', shipped_at = the carrier's pickup scan, up to 30 minutes before the
order is marked shipped), delivered when the order is delivered (delivered_at = the carrier's
delivery scan; a parcel of a split order may arrive up to 18 hours before the last one),
'returned' when the order is refunded, and 'lost' (the order's last parcel) when the buyer opens a
dispute. Orders cancelled before processing never get a parcel. A ``SPLIT_PARCEL_SHARE`` of the
orders is sent as two parcels.

Every change happens at an instant of the order's plan, so the seed (state at its "now") and
`advance` (the plan events inside each day) write the same kinds of rows. Faults, at their
configured rates and recorded in the manifest: the carrier name as a carrier feed spells it (other
casing, stray spaces), a tracking number in lower case with spaces, and a delivery scan earlier
than the pickup scan (a carrier clock error).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from marketplace_sim import columns as col
from marketplace_sim.columns import MICROS_PER_HOUR, NEVER, BoolArray, IntArray, UuidArray
from marketplace_sim.faults import Manifest, choose
from marketplace_sim.lifecycle import Plans
from marketplace_sim.pgbinary import Frame

SHIPMENT_STATUSES = ("label_created", "in_transit", "delivered", "returned", "lost")
LABEL_CREATED, IN_TRANSIT, DELIVERED, RETURNED, LOST = range(5)
SPLIT_PARCEL_SHARE = 0.08  # orders sent as two parcels

# (name as the carrier spells it, share of parcels, tracking number pattern: '#' digit, 'L' letter)
CARRIERS: tuple[tuple[str, float, str], ...] = (
    ("UPS", 0.30, "1ZLLLLLL##########"),
    ("FedEx", 0.22, "############"),
    ("DHL", 0.18, "##########"),
    ("USPS", 0.15, "9400####################"),
    ("DPD", 0.08, "##############"),
    ("Royal Mail", 0.07, "LL#########GB"),
)
CARRIER_NAMES: tuple[str, ...] = tuple(name for name, _, _ in CARRIERS)

MINUTE = 60_000_000
PICKUP_SCAN_LEAD = 30 * MINUTE  # the pickup scan precedes the order's shipped status by up to this
LAST_PARCEL_SCAN_LEAD = 2 * MICROS_PER_HOUR  # the last delivery scan precedes the delivered status
EARLY_PARCEL_LEAD = 18 * MICROS_PER_HOUR  # another parcel of a split order arrives up to this earlier


@dataclass
class ShipmentRows:
    id: UuidArray
    order_id: UuidArray
    carrier: pa.Array  # as written (faults included)
    tracking: pa.Array
    status: IntArray
    shipped: IntArray  # NEVER = NULL
    delivered: IntArray
    created: IntArray
    updated: IntArray

    def __len__(self) -> int:
        return len(self.id)

    def take(self, index: IntArray) -> ShipmentRows:
        picked = pa.array(index)
        return ShipmentRows(
            **{
                f.name: getattr(self, f.name).take(picked)
                if isinstance(getattr(self, f.name), pa.Array)
                else getattr(self, f.name)[index]
                for f in fields(self)
            }
        )


def last_parcels(order_id: UuidArray, shipment_id: UuidArray) -> BoolArray:
    """True for each order's parcel with the greatest id (the one a dispute declares lost)."""
    n = len(order_id)
    if n == 0:
        return np.zeros(0, dtype=np.bool_)
    order_words = np.ascontiguousarray(order_id).view(">u8").reshape(n, 2)
    id_words = np.ascontiguousarray(shipment_id).view(">u8").reshape(n, 2)
    rank = np.lexsort((id_words[:, 1], id_words[:, 0], order_words[:, 1], order_words[:, 0]))
    ordered = order_id[rank]
    last = np.ones(n, dtype=np.bool_)
    last[rank[:-1]] = ordered[:-1] != ordered[1:]
    return last


def _tracking_numbers(rng: np.random.Generator, carrier: IntArray) -> pa.Array:
    """One tracking number per parcel, in its carrier's format."""
    parts: list[pa.Array] = []
    positions: list[IntArray] = []
    for code, (_, _, pattern) in enumerate(CARRIERS):
        where = np.flatnonzero(carrier == code)
        parts.append(col.text(col.patterned(rng, len(where), pattern)))
        positions.append(where)
    order = np.concatenate(positions)
    back = np.empty(len(order), dtype=np.int64)
    back[order] = np.arange(len(order))
    return col.flat(pa.concat_arrays(parts).take(pa.array(back)))


def _carrier_variants(rng: np.random.Generator, names: pa.Array) -> pa.Array:
    """Carrier names as some feeds write them: lower case, a leading space, trailing spaces, or both
    lower case and a trailing space (always different from the name itself)."""
    kind = rng.integers(0, 4, len(names))
    lower = pc.utf8_lower(names)
    out = pc.case_when(
        pc.make_struct(pa.array(kind == 0), pa.array(kind == 1), pa.array(kind == 2)),
        lower,
        col.join(" ", names),
        col.join(names, "  "),
        col.join(lower, " "),
    )
    return col.flat(out)


def _unformatted(values: pa.Array) -> pa.Array:
    """Tracking numbers in lower case, in groups of four separated by spaces."""
    grouped = pc.replace_substring_regex(pc.utf8_lower(values), pattern=r"(.{4})", replacement=r"\1 ")
    return col.flat(pc.utf8_rtrim(grouped, characters=" "))


def _replace_at(values: pa.Array, replacements: pa.Array, positions: IntArray) -> pa.Array:
    """``values`` with the rows at ``positions`` taken from ``replacements``."""
    mask = np.zeros(len(values), dtype=np.bool_)
    mask[positions] = True
    return col.flat(pc.if_else(pa.array(mask), replacements, values))


def _delivery_scans(
    rng: np.random.Generator,
    delivered_status_at: IntArray,
    shipped: IntArray,
    last: BoolArray,
    rate: float,
    manifest: Manifest,
    ids: UuidArray,
) -> IntArray:
    """delivered_at of parcels delivered at ``delivered_status_at``: a scan shortly before it, and for a
    ``rate`` share a scan before the pickup scan (shipment_delivered_before_shipped)."""
    n = len(delivered_status_at)
    lead = np.where(last, LAST_PARCEL_SCAN_LEAD, EARLY_PARCEL_LEAD)
    scans = delivered_status_at - col.uniform_between(rng, 0, lead, n)
    hit = choose(rng, n, rate)
    hours = rng.integers(1, 48, len(hit))
    scans[hit] = shipped[hit] - hours * MICROS_PER_HOUR
    manifest.add(
        "shipment_delivered_before_shipped",
        ids[hit],
        delivered_status_at[hit],
        col.join("delivered_at ", col.int_text(hours), " h before shipped_at"),
    )
    return scans


def new_shipments(
    rng: np.random.Generator,
    plans: Plans,
    positions: IntArray,
    moment: int,
    rates: Mapping[str, float],
    manifest: Manifest,
    floor: IntArray | None = None,
) -> ShipmentRows:
    """The parcels of the plans at ``positions`` (their processing instant <= ``moment``), as they
    stand at ``moment``, in plan order (a split order's two parcels next to each other).

    ``floor`` (per plan) is the earliest updated_at: when a late-arriving order reaches the source."""
    split = rng.random(len(positions)) < SPLIT_PARCEL_SHARE
    pos = np.repeat(positions, np.where(split, 2, 1))
    n = len(pos)
    ids = col.uuids(rng, n)
    order_id = plans.order_id[pos]
    last = last_parcels(order_id, ids)
    carrier = col.weighted_choice(rng, [share for _, share, _ in CARRIERS], n)
    names = col.pick(CARRIER_NAMES, carrier)
    tracking = _tracking_numbers(rng, carrier)

    hit = choose(rng, n, rates["shipment_carrier_name_variant"])
    variants = _carrier_variants(rng, names)
    names = _replace_at(names, variants, hit)
    manifest.add(
        "shipment_carrier_name_variant",
        ids[hit],
        plans.processing[pos[hit]],
        col.join("carrier '", variants.take(pa.array(hit)), "'"),
    )

    hit = choose(rng, n, rates["shipment_tracking_number_unformatted"])
    tracking = _replace_at(tracking, _unformatted(tracking), hit)
    manifest.add("shipment_tracking_number_unformatted", ids[hit], plans.processing[pos[hit]], "lower case, spaced")

    created = plans.processing[pos]
    shipped_status, delivered_status = plans.shipped[pos], plans.delivered[pos]
    refunded, disputed = plans.refunded[pos], plans.disputed[pos]
    is_shipped = shipped_status <= moment
    shipped = np.where(is_shipped, shipped_status - col.uniform_between(rng, 0, PICKUP_SCAN_LEAD, n), NEVER)
    delivered = np.full(n, NEVER, dtype=np.int64)
    done = np.flatnonzero(delivered_status <= moment)
    delivered[done] = _delivery_scans(
        rng,
        delivered_status[done],
        shipped[done],
        last[done],
        rates["shipment_delivered_before_shipped"],
        manifest,
        ids[done],
    )
    status = np.full(n, LABEL_CREATED, dtype=np.int64)
    status = np.where(is_shipped, IN_TRANSIT, status)
    status = np.where(delivered_status <= moment, DELIVERED, status)
    status = np.where(refunded <= moment, RETURNED, status)
    lost = last & (disputed <= moment)
    status = np.where(lost, LOST, status)
    updated = np.maximum.reduce(
        [
            created,
            np.where(is_shipped, shipped_status, created),
            np.where(delivered_status <= moment, delivered_status, created),
            np.where(refunded <= moment, refunded, created),
            np.where(lost, disputed, created),
        ]
    )
    if floor is not None:
        updated = np.maximum(updated, floor[pos])
    return ShipmentRows(
        id=ids,
        order_id=order_id,
        carrier=names,
        tracking=tracking,
        status=status,
        shipped=shipped,
        delivered=delivered,
        created=created,
        updated=updated,
    )


@dataclass
class StoredShipments:
    """Parcels already in the source, aligned with the plan of their order."""

    id: UuidArray
    plan: IntArray  # position of the order's plan
    status: IntArray
    shipped: IntArray
    delivered: IntArray


def shipment_changes(
    rng: np.random.Generator,
    plans: Plans,
    stored: StoredShipments,
    low: int,
    high: int,
    rate: float,
    manifest: Manifest,
) -> Frame:
    """The update (id, status, shipped_at, delivered_at, updated_at) of the stored parcels whose
    order has a shipping, delivery, refund or dispute instant in (low, high]."""
    p = stored.plan
    n = len(p)

    def inside(t: IntArray) -> BoolArray:
        return (t > low) & (t <= high)

    last = last_parcels(plans.order_id[p], stored.id)
    ships, delivers = inside(plans.shipped[p]), inside(plans.delivered[p])
    returns, loses = inside(plans.refunded[p]), last & inside(plans.disputed[p])
    shipped = np.where(
        ships, plans.shipped[p] - col.uniform_between(rng, 0, PICKUP_SCAN_LEAD, n), stored.shipped
    ).astype(np.int64)
    delivered = stored.delivered.copy()
    done = np.flatnonzero(delivers)
    delivered[done] = _delivery_scans(
        rng, plans.delivered[p][done], shipped[done], last[done], rate, manifest, stored.id[done]
    )
    status = stored.status.copy()
    for happens, code in ((ships, IN_TRANSIT), (delivers, DELIVERED), (returns, RETURNED), (loses, LOST)):
        status = np.where(happens, code, status)
    updated = np.maximum.reduce(
        [
            np.where(happens, t, low)
            for happens, t in (
                (ships, plans.shipped[p]),
                (delivers, plans.delivered[p]),
                (returns, plans.refunded[p]),
                (loses, plans.disputed[p]),
            )
        ]
    )
    changed = np.flatnonzero(ships | delivers | returns | loses)
    return (
        Frame(len(changed))
        .uuid("id", stored.id[changed])
        .text("status", col.pick(SHIPMENT_STATUSES, status[changed]))
        .ts("shipped_at", shipped[changed])
        .ts("delivered_at", delivered[changed])
        .ts("updated_at", updated[changed])
    )


def shipments_frame(rows: ShipmentRows) -> Frame:
    return (
        Frame(len(rows))
        .uuid("id", rows.id)
        .uuid("order_id", rows.order_id)
        .text("carrier", rows.carrier)
        .text("tracking_number", rows.tracking)
        .text("status", col.pick(SHIPMENT_STATUSES, rows.status))
        .ts("shipped_at", rows.shipped)
        .ts("delivered_at", rows.delivered)
        .ts("created_at", rows.created)
        .ts("updated_at", rows.updated)
    )
