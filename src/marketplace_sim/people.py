"""Users (buyers and sellers) and the sellers' tier history (a type-2 slowly changing dimension)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim.columns import MICROS_PER_DAY, NEVER, BoolArray, IntArray, UuidArray
from marketplace_sim.faults import Manifest, choose
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import (
    COUNTRIES,
    COUNTRY_CODES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    TIERS,
    US,
)

USER_TYPES = ("buyer", "seller", "both")
SELLER_SHARE = (0.88, 0.07, 0.05)  # buyer, seller, both
INITIAL_TIER_WEIGHTS = (0.60, 0.25, 0.12, 0.03)

CHANGE_REASONS = ("initial_assignment", "sales_volume_upgrade", "fast_track_upgrade", "performance_downgrade")
INITIAL, UPGRADE, SKIP_UPGRADE, DOWNGRADE = range(4)

_EMAIL_FIRST = tuple(n.lower() for n in FIRST_NAMES)
_EMAIL_LAST = tuple(n.lower().replace(" ", "") for n in LAST_NAMES)


@dataclass
class Users:
    """Users as arrays; ``number`` is a running user number that keeps e-mails unique."""

    id: UuidArray
    number: IntArray
    user_type: IntArray  # index into USER_TYPES
    country: IntArray  # index into COUNTRIES, -1 = NULL
    first: IntArray
    last: IntArray
    domain: IntArray
    created: IntArray
    updated: IntArray
    deleted: IntArray  # NEVER = not deleted
    active: BoolArray
    tier: IntArray  # index into TIERS, -1 = not a seller
    rating: IntArray  # seller rating in hundredths (300..500), -1 = none

    @property
    def is_seller(self) -> BoolArray:
        return self.user_type != 0

    @property
    def is_buyer(self) -> BoolArray:
        return self.user_type != 1

    def __len__(self) -> int:
        return len(self.id)


def country_weights() -> list[float]:
    return [c.weight for c in COUNTRIES]


def new_users(
    rng: np.random.Generator,
    numbers: IntArray,
    created: IntArray,
    user_type: IntArray,
) -> Users:
    """Fresh users with the given running numbers, creation times and types (no faults, no tiers)."""
    n = len(numbers)
    sellers = user_type != 0
    rating = np.where(sellers, np.clip(np.round(500 - rng.gamma(1.5, 30.0, n)), 300, 500), -1).astype(np.int64)
    return Users(
        id=col.uuids(rng, n),
        number=numbers.astype(np.int64),
        user_type=user_type.astype(np.int64),
        country=col.weighted_choice(rng, country_weights(), n),
        first=rng.integers(0, len(FIRST_NAMES), n),
        last=rng.integers(0, len(LAST_NAMES), n),
        domain=rng.integers(0, len(EMAIL_DOMAINS), n),
        created=created.astype(np.int64),
        updated=col.uniform_between(rng, created, created + rng.integers(0, 90, n) * col.MICROS_PER_DAY, n),
        deleted=np.full(n, NEVER, dtype=np.int64),
        active=rng.random(n) >= 0.015,  # a few accounts are suspended without being deleted
        tier=np.full(n, -1, dtype=np.int64),
        rating=rating,
    )


def users_frame(users: Users) -> Frame:
    numbers = col.int_text(users.number)
    first_l = col.pick(_EMAIL_FIRST, users.first)
    last_l = col.pick(_EMAIL_LAST, users.last)
    return (
        Frame(len(users))
        .uuid("id", users.id)
        .text("email", col.join(first_l, ".", last_l, ".", numbers, "@", col.pick(EMAIL_DOMAINS, users.domain)))
        .text("username", col.join(first_l, "_", last_l, numbers))
        .text("user_type", col.pick(USER_TYPES, users.user_type))
        .text("first_name", col.pick(FIRST_NAMES, users.first))
        .text("last_name", col.pick(LAST_NAMES, users.last))
        .text("country_code", col.pick(COUNTRY_CODES, np.maximum(users.country, 0)), users.country < 0)
        .text("seller_tier", col.pick(TIERS, np.maximum(users.tier, 0)), users.tier < 0)
        .money("seller_rating", users.rating, users.rating < 0)
        .ts("created_at", users.created)
        .ts("updated_at", users.updated)
        .ts("deleted_at", users.deleted)
        .boolean("is_active", users.active)
    )


@dataclass
class TierRows:
    """seller_tier_history rows (before ids are assigned)."""

    user_id: UuidArray
    tier: IntArray
    effective_from: IntArray
    effective_to: IntArray  # NEVER = current row
    reason: IntArray

    def __len__(self) -> int:
        return len(self.user_id)


def step_tier(rng: np.random.Generator, tier: IntArray) -> tuple[IntArray, IntArray]:
    """One tier change per seller: upgrade, skip a tier upward, or downgrade (bounded)."""
    n = len(tier)
    roll = rng.random(n)
    reason = np.where(roll < 0.55, UPGRADE, np.where(roll < 0.70, SKIP_UPGRADE, DOWNGRADE)).astype(np.int64)
    top = len(TIERS) - 1
    reason = np.where((reason == DOWNGRADE) & (tier == 0), UPGRADE, reason)
    reason = np.where((reason != DOWNGRADE) & (tier == top), DOWNGRADE, reason)
    reason = np.where((reason == SKIP_UPGRADE) & (tier >= top - 1), UPGRADE, reason)
    delta = np.select([reason == UPGRADE, reason == SKIP_UPGRADE], [1, 2], default=-1)
    return np.clip(tier + delta, 0, top).astype(np.int64), reason


def tier_histories(rng: np.random.Generator, users: Users, until: int) -> TierRows:
    """Give every seller an initial tier at sign-up and 0-3 later changes before ``until``.

    Sets ``users.tier`` to the current tier and moves ``users.updated`` past the last change.
    """
    sellers = np.flatnonzero(users.is_seller)
    n = len(sellers)
    tier = col.weighted_choice(rng, INITIAL_TIER_WEIGHTS, n)
    changes = col.weighted_choice(rng, (0.40, 0.30, 0.20, 0.10), n)
    start = users.created[sellers]
    # change times: sorted uniform points between sign-up and `until`
    offsets = np.sort(rng.random((n, 3)), axis=1)
    times = start[:, None] + (offsets * (until - start)[:, None]).astype(np.int64)
    rows_user: list[UuidArray] = [users.id[sellers]]
    rows_tier = [tier]
    rows_from = [start]
    rows_reason = [np.full(n, INITIAL, dtype=np.int64)]
    rows_seller = [np.arange(n)]
    current = tier
    for k in range(3):
        moving = changes > k
        new_tier, reason = step_tier(rng, current)
        current = np.where(moving, new_tier, current)
        idx = np.flatnonzero(moving)
        rows_user.append(users.id[sellers][idx])
        rows_tier.append(new_tier[idx])
        rows_from.append(times[idx, k])
        rows_reason.append(reason[idx])
        rows_seller.append(idx)
    seller_pos = np.concatenate(rows_seller)
    eff_from = np.concatenate(rows_from)
    order = np.lexsort((seller_pos, eff_from))  # ids follow the order rows were written
    seller_pos, eff_from = seller_pos[order], eff_from[order]
    # effective_to: the next row's effective_from for the same seller
    by_seller = np.lexsort((eff_from, seller_pos))
    eff_to = np.full(len(order), NEVER, dtype=np.int64)
    same_next = seller_pos[by_seller][1:] == seller_pos[by_seller][:-1]
    eff_to[by_seller[:-1][same_next]] = eff_from[by_seller[1:][same_next]]
    users.tier[sellers] = current
    last_change = start + np.where(changes > 0, times[np.arange(n), np.maximum(changes - 1, 0)] - start, 0)
    users.updated[sellers] = np.maximum(users.updated[sellers], last_change)
    return TierRows(
        user_id=np.concatenate(rows_user)[order],
        tier=np.concatenate(rows_tier)[order],
        effective_from=eff_from,
        effective_to=eff_to,
        reason=np.concatenate(rows_reason)[order],
    )


def tier_frame(rows: TierRows, first_id: int) -> Frame:
    return (
        Frame(len(rows))
        .integer("id", np.arange(first_id, first_id + len(rows), dtype=np.int64))
        .uuid("user_id", rows.user_id)
        .text("tier", col.pick(TIERS, rows.tier))
        .ts("effective_from", rows.effective_from)
        .ts("effective_to", rows.effective_to)
        .boolean("is_current", rows.effective_to == NEVER)
        .text("change_reason", col.pick(CHANGE_REASONS, rows.reason))
        .ts("created_at", rows.effective_from)
    )


def force_us_seller(users: Users) -> None:
    """The first user is a US seller, so USD listings always exist even in a tiny database."""
    if len(users):
        users.user_type[0] = 1
        users.country[0] = US
        users.rating[0] = max(int(users.rating[0]), 450)


def close_programme_exits(
    rng: np.random.Generator, users: Users, rows: TierRows, rate: float, until: int, manifest: Manifest
) -> TierRows:
    """A ``rate`` share of the sellers leave the tier programme before ``until``: their last history
    row gets an effective_to (is_current false) and no successor, and users.seller_tier becomes NULL.
    Row ids are positions + 1 (tier_frame numbers the seed's rows from 1)."""
    last = np.flatnonzero(rows.effective_to == NEVER)
    # room for a period of at least two days that ends at least a day before `until`
    roomy = last[rows.effective_from[last] < until - 3 * MICROS_PER_DAY]
    picked = roomy[choose(rng, len(roomy), rate)]
    if len(picked) == 0:
        return rows
    start = rows.effective_from[picked] + 2 * MICROS_PER_DAY
    rows.effective_to[picked] = col.uniform_between(rng, start, until - MICROS_PER_DAY, len(picked))
    _, codes = np.unique(np.concatenate([users.id, rows.user_id[picked]]), return_inverse=True)
    codes = codes.reshape(-1)
    user_at = np.full(len(codes), -1, dtype=np.int64)
    user_at[codes[: len(users.id)]] = np.arange(len(users.id))
    seller = user_at[codes[len(users.id) :]]
    users.tier[seller] = -1
    users.updated[seller] = np.maximum(users.updated[seller], rows.effective_to[picked])
    manifest.add("seller_left_programme", picked + 1, rows.effective_to[picked], "left the tier programme")
    return rows


def buyers_start_selling(rng: np.random.Generator, users: Users, rate: float, until: int, manifest: Manifest) -> None:
    """A ``rate`` share of the live buyers become 'both' (they start selling) some time before
    ``until``: user_type changes in place, with no tier history (they have no tier yet)."""
    buyers = np.flatnonzero((users.user_type == USER_TYPES.index("buyer")) & (users.deleted == NEVER))
    picked = buyers[choose(rng, len(buyers), rate)]
    if len(picked) == 0:
        return
    start = np.maximum(users.updated[picked], users.created[picked])
    when = start + ((until - start) * rng.uniform(0.1, 0.9, len(picked))).astype(np.int64)
    users.user_type[picked] = USER_TYPES.index("both")
    users.updated[picked] = when
    manifest.add("user_type_changed", users.id[picked], when, "buyer -> both")
