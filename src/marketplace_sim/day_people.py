"""A day in the life of the marketplace's users: soft deletes, profile edits, tier changes, sign-ups."""

from __future__ import annotations

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim import fetch as f
from marketplace_sim.clock import HISTORY_DAYS
from marketplace_sim.columns import NEVER, IntArray, UuidArray
from marketplace_sim.day import Day, Participants, index_sql, scalar, update, within
from marketplace_sim.events import USER, entity_events
from marketplace_sim.faults import choose
from marketplace_sim.history import USERS_PER_SCALE
from marketplace_sim.orders import BuyerPool
from marketplace_sim.people import (
    INITIAL,
    INITIAL_TIER_WEIGHTS,
    SELLER_SHARE,
    USER_TYPES,
    TierRows,
    new_users,
    step_tier,
    tier_frame,
    users_frame,
)
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import COUNTRY_CODES, LAST_NAMES, TIERS

SIGNUPS_PER_SCALE_DAY = USERS_PER_SCALE / 365
PROFILE_EDIT_RATE = 0.002  # share of users editing their profile per day
TIER_CHANGE_RATE = 0.004  # share of sellers changing tier per day


def simulate_people(day: Day) -> Participants:
    """Soft deletes, profile edits, tier changes and sign-ups; returns who can buy and sell today."""
    rng, fault_rng = day.rng(1), day.rng(2)
    ids, created, deleted, active, user_type, country, rating = f.fetch(
        day.conn,
        [
            f.uuid("id"),
            f.micros("created_at"),
            f.micros("deleted_at"),
            f.flag("is_active"),
            f.integer(index_sql("user_type", USER_TYPES)),
            f.integer(index_sql("country_code", COUNTRY_CODES)),
            f.cents("seller_rating"),
        ],
        "FROM users",
    )
    live = deleted == NEVER

    # soft deletes
    candidates = np.flatnonzero(live)
    gone = (
        np.sort(
            rng.choice(
                candidates,
                rng.binomial(len(candidates), day.rates["soft_deleted_user"] / HISTORY_DAYS),
                replace=False,
            )
        )
        if len(candidates)
        else np.empty(0, dtype=np.int64)
    )
    when = within(rng, np.maximum(created[gone], day.low), day.high, len(gone))
    update(
        day.conn,
        "users",
        Frame(len(gone))
        .uuid("id", ids[gone])
        .ts("deleted_at", when)
        .boolean("is_active", np.zeros(len(gone), dtype=np.bool_))
        .ts("updated_at", when),
    )
    day.note("users", "soft_deleted", len(gone))
    if len(gone):
        orders = _order_counts(day, ids[gone])
        day.manifest.add("soft_deleted_user", ids[gone], when, col.join("orders=", col.int_text(orders)))
    live[gone] = False

    # profile edits: a new last name, sellers' ratings drift
    candidates = np.flatnonzero(live)
    edit = np.sort(rng.choice(candidates, rng.binomial(len(candidates), PROFILE_EDIT_RATE), replace=False))
    is_seller = user_type[edit] != 0
    new_rating = np.clip(rating[edit] + rng.integers(-20, 21, len(edit)), 100, 500)
    update(
        day.conn,
        "users",
        Frame(len(edit))
        .uuid("id", ids[edit])
        .text("last_name", col.pick(LAST_NAMES, rng.integers(0, len(LAST_NAMES), len(edit))))
        .money("seller_rating", new_rating, ~is_seller)
        .ts("updated_at", within(rng, day.low, day.high, len(edit))),
    )
    day.note("users", "profile_edited", len(edit))

    # user_type changes: a few buyers start selling (they have no tier until a tier is recorded)
    untouched = live.copy()
    untouched[edit] = False
    still_buyers = np.flatnonzero(untouched & (user_type == USER_TYPES.index("buyer")))
    turned = still_buyers[choose(fault_rng, len(still_buyers), day.rates["user_type_changed"] / HISTORY_DAYS)]
    changed_at = within(fault_rng, day.low, day.high, len(turned))
    update(
        day.conn,
        "users",
        Frame(len(turned))
        .uuid("id", ids[turned])
        .text("user_type", col.pick(USER_TYPES, np.full(len(turned), USER_TYPES.index("both"), dtype=np.int64)))
        .ts("updated_at", changed_at),
    )
    day.note("users", "user_type_changed", len(turned))
    day.manifest.add("user_type_changed", ids[turned], changed_at, "buyer -> both")

    # tier changes close the current history row and open a new one
    h_id, h_user, h_tier = f.fetch(
        day.conn,
        [f.integer("h.id"), f.uuid("h.user_id"), f.integer(index_sql("h.tier", TIERS))],
        "FROM seller_tier_history h JOIN users u ON u.id = h.user_id WHERE h.is_current AND u.deleted_at IS NULL",
    )
    moving = np.sort(rng.choice(len(h_id), rng.binomial(len(h_id), TIER_CHANGE_RATE), replace=False))
    tier, reason = step_tier(rng, h_tier[moving])
    when = within(rng, day.low, day.high, len(moving))
    update(
        day.conn,
        "seller_tier_history",
        Frame(len(moving))
        .integer("id", h_id[moving])
        .ts("effective_to", when)
        .boolean("is_current", np.zeros(len(moving), dtype=np.bool_)),
    )
    update(
        day.conn,
        "users",
        Frame(len(moving)).uuid("id", h_user[moving]).text("seller_tier", col.pick(TIERS, tier)).ts("updated_at", when),
    )
    day.note("users", "tier_changed", len(moving))
    day.note("seller_tier_history", "closed", len(moving))

    # sign-ups (some without a country: the null_country_code fault)
    n_new = int(rng.poisson(SIGNUPS_PER_SCALE_DAY * day.scale))
    types = col.weighted_choice(rng, SELLER_SHARE, n_new)
    joined = np.sort(within(rng, day.low, day.high, n_new))
    fresh = new_users(rng, np.arange(len(ids) + 1, len(ids) + 1 + n_new, dtype=np.int64), joined, types)
    fresh.updated = fresh.created.copy()
    fresh.tier = np.where(fresh.is_seller, col.weighted_choice(rng, INITIAL_TIER_WEIGHTS, n_new), -1)
    hit = choose(fault_rng, n_new, day.rates["null_country_code"])
    day.manifest.add(
        "null_country_code",
        fresh.id[hit],
        fresh.created[hit],
        col.join("was ", col.pick(COUNTRY_CODES, fresh.country[hit])),
    )
    true_country = fresh.country.copy()
    fresh.country[hit] = -1
    day.insert("users", users_frame(fresh))
    day.events.append(
        entity_events(
            0,
            USER,
            fresh.id,
            fresh.created,
            col.json_object([("user_type", col.pick(USER_TYPES, fresh.user_type), True)]),
        )
    )

    sellers = np.flatnonzero(fresh.is_seller)
    opened = TierRows(
        user_id=np.concatenate([h_user[moving], fresh.id[sellers]]),
        tier=np.concatenate([tier, fresh.tier[sellers]]),
        effective_from=np.concatenate([when, fresh.created[sellers]]),
        effective_to=np.full(len(moving) + len(sellers), NEVER, dtype=np.int64),
        reason=np.concatenate([reason, np.full(len(sellers), INITIAL, dtype=np.int64)]),
    )
    order = np.argsort(opened.effective_from, kind="stable")
    opened = TierRows(*(getattr(opened, name)[order] for name in opened.__dataclass_fields__))
    first_id = scalar(day.conn, "SELECT coalesce(max(id), 0) + 1 FROM seller_tier_history")
    day.insert("seller_tier_history", tier_frame(opened, first_id), "opened")

    # who can buy and sell today
    keep = live & active
    buyers = BuyerPool.build(
        np.concatenate([ids[keep], fresh.id[fresh.active]]),
        np.concatenate([country[keep], true_country[fresh.active]]),
        np.concatenate([created[keep], fresh.created[fresh.active]]),
    )
    seller_rows = keep & (user_type != 0)
    return Participants(
        buyers=buyers,
        seller_ids=np.concatenate([ids[seller_rows], fresh.id[sellers]]),
        seller_country=np.concatenate([country[seller_rows], true_country[sellers]]),
    )


def _order_counts(day: Day, buyer_ids: UuidArray) -> IntArray:
    rows = day.conn.execute(
        "SELECT b.id, count(o.id) FROM unnest(%s::uuid[]) AS b(id) LEFT JOIN orders o ON o.buyer_id = b.id "
        "GROUP BY b.id",
        [[bytes(u).hex() for u in buyer_ids]],
    ).fetchall()
    counts = {row[0].bytes: int(row[1]) for row in rows}
    return np.array([counts.get(bytes(u), 0) for u in buyer_ids], dtype=np.int64)
