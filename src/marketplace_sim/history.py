"""The seeded history: every table of a generated marketplace, built in memory for one seed.

Scale 1 is 10,000 orders (2,500 users, 2,500 listings); scale 100 is a million orders. Business
dates lie in the 180 days before the simulated "now" (2026-11-01T00:00Z; users and listings reach
further back). Each concern draws from its own random stream, so the same (seed, scale, fault rates,
source time zone) always gives byte-identical tables. Nothing here loops over rows in Python.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np
import pyarrow as pa

from marketplace_sim import columns as col
from marketplace_sim.catalog import categories_frame, new_products, products_frame, skewed_index
from marketplace_sim.clock import SEEDED_UNTIL_US, SIM_START_US
from marketplace_sim.columns import MICROS_PER_DAY, MICROS_PER_HOUR, NEVER, IntArray
from marketplace_sim.events import PRODUCT, USER, concat_events, entity_events, finalize, order_events
from marketplace_sim.faults import Manifest, choose
from marketplace_sim.lifecycle import plans_frame, state_at
from marketplace_sim.limits import ORDERS_PER_SCALE
from marketplace_sim.orders import (
    BuyerPool,
    CatalogPool,
    generate_orders,
    mismatch_totals,
    order_items_frame,
    orders_frame,
    wrong_zone_detail,
    wrong_zone_detectable,
)
from marketplace_sim.payments import add_replays, payment_rows, payments_frame, with_payment_shapes
from marketplace_sim.people import (
    SELLER_SHARE,
    USER_TYPES,
    buyers_start_selling,
    close_programme_exits,
    force_us_seller,
    new_users,
    tier_frame,
    tier_histories,
    users_frame,
)
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import COUNTRY_CODES, COUNTRY_CURRENCY, CURRENCY_CODES, UNKNOWN_CURRENCY_CODES
from marketplace_sim.reviews import generate_reviews, reviews_frame
from marketplace_sim.shipments import new_shipments, shipments_frame
from marketplace_sim.tables import META_SCHEMA

USERS_PER_SCALE = 2_500
PRODUCTS_PER_SCALE = 2_500
ORDER_GROWTH = 0.2  # the daily order volume grows by a fifth over the seeded history
EARLY_USER_SHARE = 0.75  # buyers who signed up before the order history starts
USER_HISTORY_DAYS = 730
EARLIEST_US = np.iinfo(np.int64).min

# independent random streams per concern, so changing one never shifts another
STREAM_USERS, STREAM_TIERS, STREAM_PRODUCTS, STREAM_ORDERS = 1, 2, 3, 4
STREAM_PAYMENTS, STREAM_REVIEWS, STREAM_EVENTS, STREAM_FAULTS, STREAM_PRODUCT_FAULTS = 5, 6, 7, 8, 9
STREAM_SHIPMENTS = 10


Loadable = tuple[str, str, Frame]  # (schema, table, rows)


def sizes(scale: float) -> tuple[int, int, int]:
    """(users, products, orders) for a scale."""
    return (
        max(20, round(USERS_PER_SCALE * scale)),
        max(10, round(PRODUCTS_PER_SCALE * scale)),
        max(10, round(ORDERS_PER_SCALE * scale)),
    )


def order_times(rng: np.random.Generator, n: int, low: int, high: int, growth: float = ORDER_GROWTH) -> IntArray:
    """n sorted instants in [low, high) with a volume growing linearly by ``growth`` over the span."""
    u = rng.random(n)
    x = (np.sqrt(1 + 2 * growth * u * (1 + growth / 2)) - 1) / growth if growth else u
    return np.sort(low + (x * (high - low)).astype(np.int64))


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


def frames(
    seed: int, scale: float, rates: Mapping[str, float], zone: str, facts: dict[str, int] | None = None
) -> Iterator[Loadable]:
    """Everything the seed loads, as (schema, table, frame) in the order the frames become final.

    Tables are yielded as soon as nothing later changes them, so loading one overlaps with
    generating the next. The last two are the simulator's meta.order_lifecycle (orders with events
    still ahead of them) and meta.fault_manifest. ``facts`` receives "max_event_us", the greatest
    event_timestamp generated (where `advance` continues the out-of-order bookkeeping).
    """
    now = SEEDED_UNTIL_US
    n_users, n_products, n_orders = sizes(scale)
    manifest = Manifest()
    fault_rng = _rng(seed, STREAM_FAULTS)
    yield "public", "categories", categories_frame()

    # users: sellers signed up well before the order history, buyers throughout
    rng = _rng(seed, STREAM_USERS)
    user_type = col.weighted_choice(rng, SELLER_SHARE, n_users)
    user_type[0] = USER_TYPES.index("seller")
    oldest = SIM_START_US - USER_HISTORY_DAYS * MICROS_PER_DAY
    early = rng.random(n_users) < EARLY_USER_SHARE
    created = np.where(
        user_type != 0,
        col.uniform_between(rng, oldest, SIM_START_US - 30 * MICROS_PER_DAY, n_users),
        np.where(
            early,
            col.uniform_between(rng, oldest, SIM_START_US, n_users),
            col.uniform_between(rng, SIM_START_US, now - MICROS_PER_HOUR, n_users),
        ),
    )
    users = new_users(rng, np.arange(1, n_users + 1, dtype=np.int64), created, user_type)
    force_us_seller(users)
    users.updated = np.minimum(users.updated, now)
    tiers = tier_histories(_rng(seed, STREAM_TIERS), users, now)
    tiers = close_programme_exits(fault_rng, users, tiers, rates["seller_left_programme"], now, manifest)
    yield "public", "seller_tier_history", tier_frame(tiers, 1)

    # listings: every seller's first listing is old and active, the rest favour big sellers
    rng = _rng(seed, STREAM_PRODUCTS)
    sellers = np.flatnonzero(users.is_seller)
    extra = max(n_products - len(sellers), 0)
    seller_of = np.concatenate([sellers, sellers[skewed_index(rng, np.full(extra, len(sellers)), power=2.0)]])
    seller_created = users.created[seller_of]
    first = np.arange(len(seller_of)) < len(sellers)
    product_created = np.where(
        first,
        seller_created + col.uniform_between(rng, MICROS_PER_HOUR, 5 * MICROS_PER_DAY, len(seller_of)),
        col.uniform_between(
            rng, np.maximum(seller_created, SIM_START_US - 365 * MICROS_PER_DAY), now - MICROS_PER_HOUR, len(seller_of)
        ),
    )
    seller_currency = np.array(COUNTRY_CURRENCY, dtype=np.int64)[users.country[seller_of]]
    products = new_products(rng, users.id[seller_of], seller_currency, product_created, now, force_active=first)
    product_rng = _rng(seed, STREAM_PRODUCT_FAULTS)
    hit = choose(product_rng, len(products), rates["future_updated_at"])
    ahead = product_rng.integers(30, 400, len(hit))
    products.updated[hit] = now + ahead * MICROS_PER_DAY + product_rng.integers(0, MICROS_PER_DAY, len(hit))
    manifest.add(
        "future_updated_at", products.id[hit], now, col.join("updated_at ", col.int_text(ahead), " days ahead")
    )
    yield "public", "products", products_frame(products)

    # orders
    rng = _rng(seed, STREAM_ORDERS)
    orderable = np.flatnonzero(products.published != NEVER)
    catalog = CatalogPool(
        id=products.id[orderable],
        seller_id=products.seller_id[orderable],
        price=products.price[orderable],
        currency=products.currency[orderable],
        title=products.titles().take(pa.array(orderable)),
        category_id=products.category_ids()[orderable],
        published=products.published[orderable],
    )
    buyer_rows = np.flatnonzero(users.is_buyer)
    pool = BuyerPool.build(users.id[buyer_rows], users.country[buyer_rows], users.created[buyer_rows])
    pool.source_index = buyer_rows[pool.source_index]
    batch = generate_orders(rng, order_times(rng, n_orders, SIM_START_US, now), pool, catalog, {})
    plans = batch.plans

    hit = choose(fault_rng, n_orders, rates["order_total_mismatch"])
    before = batch.total[hit].copy()
    mismatch_totals(fault_rng, batch, hit)
    manifest.add(
        "order_total_mismatch",
        plans.order_id[hit],
        plans.created[hit],
        col.join("total_amount off by ", col.money_text(batch.total[hit] - before)),
    )
    hit = choose(fault_rng, n_orders, rates["unknown_currency"])
    batch.currency_fault[hit] = fault_rng.integers(0, len(UNKNOWN_CURRENCY_CODES), len(hit))
    manifest.add(
        "unknown_currency",
        plans.order_id[hit],
        plans.created[hit],
        col.join("charged in ", col.pick(CURRENCY_CODES, plans.currency[hit])),
    )
    hit = choose(fault_rng, n_orders, rates["confirmed_at_wrong_zone"])
    hit = hit[plans.confirm[hit] != NEVER]
    hit = hit[wrong_zone_detectable(plans.created[hit], plans.confirm[hit], zone)]
    plans.zone_fault[hit] = True
    written = hit[plans.confirm[hit] <= now]
    manifest.add("confirmed_at_wrong_zone", plans.order_id[written], plans.confirm[written], wrong_zone_detail(zone))
    yield "public", "orders", orders_frame(batch, state_at(plans, now), zone)
    yield "public", "order_items", order_items_frame(batch)

    rng = _rng(seed, STREAM_PAYMENTS)
    payments = with_payment_shapes(
        rng, plans, payment_rows(rng, plans, EARLIEST_US, now), EARLIEST_US, now, rates, manifest
    )
    payments = add_replays(rng, payments, rates["duplicate_payment_webhook"], now, manifest)
    yield "public", "payments", payments_frame(payments)
    del payments

    # parcels of every order that reached processing (labels, then carrier scans)
    labelled = np.flatnonzero(plans.processing <= now)
    shipments = new_shipments(_rng(seed, STREAM_SHIPMENTS), plans, labelled, now, rates, manifest)
    yield "public", "shipments", shipments_frame(shipments)
    del shipments

    rng = _rng(seed, STREAM_REVIEWS)
    reviews = generate_reviews(rng, plans, EARLIEST_US, now, SIM_START_US, catalog.id, pool.id, dict(rates), manifest)
    yield "public", "reviews", reviews_frame(reviews)
    del reviews, catalog, pool

    # soft-deleted users: some after ordering, deleted between their last activity and now
    last_order = np.full(n_users, EARLIEST_US, dtype=np.int64)
    np.maximum.at(last_order, batch.buyer_index, plans.created)
    order_count = np.bincount(batch.buyer_index, minlength=n_users)
    del batch
    hit = choose(fault_rng, n_users - 1, rates["soft_deleted_user"]) + 1
    last = np.maximum(np.maximum(users.created[hit], last_order[hit]), users.updated[hit])
    users.deleted[hit] = last + ((now - last) * fault_rng.uniform(0.1, 0.9, len(hit))).astype(np.int64)
    users.updated[hit] = users.deleted[hit]
    users.active[hit] = False
    manifest.add(
        "soft_deleted_user", users.id[hit], users.deleted[hit], col.join("orders=", col.int_text(order_count[hit]))
    )
    hit = choose(fault_rng, n_users, rates["null_country_code"])
    manifest.add(
        "null_country_code",
        users.id[hit],
        users.created[hit],
        col.join("was ", col.pick(COUNTRY_CODES, users.country[hit])),
    )
    users.country[hit] = -1
    buyers_start_selling(fault_rng, users, rates["user_type_changed"], now, manifest)
    yield "public", "users", users_frame(users)

    # events
    rng = _rng(seed, STREAM_EVENTS)
    listed = products.published != NEVER
    event_rows = concat_events(
        [
            entity_events(
                0,
                USER,
                users.id,
                users.created,
                col.json_object([("user_type", col.pick(USER_TYPES, users.user_type), True)]),
            ),
            entity_events(
                1,
                PRODUCT,
                products.id[listed],
                products.published[listed],
                col.json_object(
                    [
                        ("seller_id", col.uuid_text(products.seller_id[listed]), True),
                        ("price", col.money_text(products.price[listed]), True),
                        ("currency", col.pick(CURRENCY_CODES, products.currency[listed]), True),
                    ]
                ),
            ),
            order_events(plans, EARLIEST_US, now),
        ]
    )
    del users, products
    if facts is not None and len(event_rows):
        facts["max_event_us"] = int(event_rows.event_ts.max())
    events = finalize(
        rng, event_rows, high=now, first_id=1, prior_max_ts=EARLIEST_US, rates=dict(rates), manifest=manifest
    )
    del event_rows
    yield "public", "event_log", events
    del events

    next_at = plans.next_after(now)
    pending = np.flatnonzero(next_at != NEVER)
    yield META_SCHEMA, "order_lifecycle", plans_frame(plans.take(pending), next_at[pending])
    yield META_SCHEMA, "fault_manifest", manifest.to_frame()
