"""A day of listings: sellers reprice, restock, pause and delete listings and publish new ones."""

from __future__ import annotations

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim import fetch as f
from marketplace_sim.catalog import (
    ACTIVE,
    DELETED,
    DRAFT,
    PAUSED,
    PRODUCT_STATUSES,
    SOLD_OUT,
    new_products,
    products_frame,
    skewed_index,
)
from marketplace_sim.clock import from_micros
from marketplace_sim.columns import MICROS_PER_DAY, NEVER
from marketplace_sim.day import Day, Participants, index_sql, update, within
from marketplace_sim.events import PRODUCT, entity_events
from marketplace_sim.faults import choose
from marketplace_sim.history import PRODUCTS_PER_SCALE
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import COUNTRY_CURRENCY, CURRENCY_CODES, USD

LISTINGS_PER_SCALE_DAY = PRODUCTS_PER_SCALE / 365
LISTING_UPDATE_RATE = 0.01  # share of listings changed per day


def simulate_listings(day: Day, participants: Participants) -> None:
    """Updates to existing listings (price, stock, status) and new listings by today's sellers."""
    rng, fault_rng = day.rng(3), day.rng(4)
    ids, price, currency, quantity, status, published, updated = f.fetch(
        day.conn,
        [
            f.uuid("id"),
            f.cents("price_amount"),
            f.integer(index_sql("price_currency", CURRENCY_CODES)),
            f.integer("quantity_available"),
            f.integer(index_sql("status", PRODUCT_STATUSES)),
            f.micros("published_at"),
            f.micros("updated_at"),
        ],
        "FROM products",
    )
    # listings whose updated_at lies in the future (a fault) are left alone
    candidates = np.flatnonzero((status != DELETED) & (updated <= day.low) & (currency >= 0))
    pick = np.sort(rng.choice(candidates, rng.binomial(len(candidates), LISTING_UPDATE_RATE), replace=False))
    kind = rng.random(len(pick))
    new_price, new_qty, new_status = price[pick].copy(), quantity[pick].copy(), status[pick].copy()
    new_published = published[pick].copy()
    when = within(rng, day.low, day.high, len(pick))
    repriced = kind < 0.45
    factor = rng.uniform(0.85, 1.15, len(pick))
    # the same price points as new listings: x.99, or whole tens of yen
    zero_decimal = currency[pick] == CURRENCY_CODES.index("JPY")
    scaled = price[pick] * factor
    new_price = np.where(
        repriced,
        np.where(
            zero_decimal,
            np.maximum(np.round(scaled / 1000), 1) * 1000,
            np.maximum(np.round(scaled / 100), 1) * 100 - 1,
        ),
        new_price,
    ).astype(np.int64)
    restocked = (kind >= 0.45) & (kind < 0.80)
    new_qty = np.where(restocked, np.minimum(rng.geometric(1 / 40, len(pick)), 999), new_qty)
    new_status = np.where(restocked & (new_status == SOLD_OUT), ACTIVE, new_status)
    switched = kind >= 0.80
    roll = rng.random(len(pick))
    from_active = np.where(roll < 0.5, PAUSED, np.where(roll < 0.8, SOLD_OUT, DELETED))
    new_status = np.where(switched, np.where(new_status == ACTIVE, from_active, ACTIVE), new_status)
    new_qty = np.where(switched & (new_status == SOLD_OUT), 0, new_qty)
    new_published = np.where(switched & (status[pick] == DRAFT) & (new_status == ACTIVE), when, new_published)
    update(
        day.conn,
        "products",
        Frame(len(pick))
        .uuid("id", ids[pick])
        .money("price_amount", new_price)
        .integer("quantity_available", new_qty)
        .text("status", col.pick(PRODUCT_STATUSES, new_status))
        .ts("published_at", new_published)
        .ts("updated_at", when),
    )
    day.note("products", "updated", len(pick))

    # new listings by active sellers, favouring the established ones
    seller_ids, seller_country = participants.seller_ids, participants.seller_country
    n_new = int(rng.poisson(LISTINGS_PER_SCALE_DAY * day.scale)) if len(seller_ids) else 0
    who = skewed_index(rng, np.full(n_new, len(seller_ids)), power=2.0)
    seller_currency = np.where(
        seller_country[who] >= 0, np.array(COUNTRY_CURRENCY)[np.maximum(seller_country[who], 0)], USD
    )
    listed = new_products(
        rng, seller_ids[who], seller_currency, np.sort(within(rng, day.low, day.high, n_new)), day.high
    )
    hit = choose(fault_rng, n_new, day.rates["future_updated_at"])
    ahead = fault_rng.integers(30, 400, len(hit))
    listed.updated[hit] = day.high + ahead * MICROS_PER_DAY + fault_rng.integers(0, MICROS_PER_DAY, len(hit))
    day.manifest.add(
        "future_updated_at", listed.id[hit], day.high, col.join("updated_at ", col.int_text(ahead), " days ahead")
    )
    day.insert("products", products_frame(listed))
    shown = listed.published != NEVER
    day.events.append(
        entity_events(
            1,
            PRODUCT,
            listed.id[shown],
            listed.published[shown],
            col.json_object(
                [
                    ("seller_id", col.uuid_text(listed.seller_id[shown]), True),
                    ("price", col.money_text(listed.price[shown]), True),
                    ("currency", col.pick(CURRENCY_CODES, listed.currency[shown]), True),
                ]
            ),
        )
    )
    # listings whose future updated_at has now been reached no longer carry the fault
    day.conn.execute(
        "DELETE FROM meta.fault_manifest m USING products p WHERE m.fault = 'future_updated_at' "
        "AND p.id = m.row_id::uuid AND p.updated_at <= %s",
        [from_micros(day.high)],
    )
