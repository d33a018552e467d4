"""Product reviews: verified ones written after delivery, unverified ones by any user.

Reviews are written by a separate service, so the schema has no foreign keys on product_id /
reviewer_id; the `orphan_review_*` faults exploit that. New reviews wait for moderation
(status 'pending'); moderation and helpful votes update the row (updated_at moves).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim.columns import MICROS_PER_HOUR, NEVER, BoolArray, IntArray, UuidArray
from marketplace_sim.faults import Manifest, choose
from marketplace_sim.lifecycle import Plans, events_between
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import REVIEW_BODIES, REVIEW_TITLES

REVIEW_STATUSES = ("pending", "approved", "rejected", "flagged")
PENDING, APPROVED, REJECTED, FLAGGED = range(4)
RATING_WEIGHTS = (0.10, 0.08, 0.12, 0.25, 0.45)  # 1..5 stars
MODERATION_OUTCOME_WEIGHTS = (0.85, 0.05, 0.10)  # approved, rejected, flagged
UNVERIFIED_SHARE = 0.10  # unverified reviews per verified review

_TITLES = tuple(t for rating in range(1, 6) for t in REVIEW_TITLES[rating])
_TITLE_OFFSET = np.cumsum([0] + [len(REVIEW_TITLES[r]) for r in range(1, 6)])[:-1].astype(np.int64)
_TITLE_COUNT = np.array([len(REVIEW_TITLES[r]) for r in range(1, 6)], dtype=np.int64)


@dataclass
class ReviewRows:
    id: UuidArray
    product_id: UuidArray
    order_item_id: UuidArray
    no_order_item: BoolArray
    reviewer_id: UuidArray
    rating: IntArray
    title: IntArray
    body: IntArray
    verified: BoolArray
    votes: IntArray
    status: IntArray
    moderated: IntArray  # NEVER = NULL
    created: IntArray
    updated: IntArray

    def __len__(self) -> int:
        return len(self.id)


def concat_reviews(parts: list[ReviewRows]) -> ReviewRows:
    return ReviewRows(**{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(ReviewRows)})


def _new_reviews(
    rng: np.random.Generator,
    product_id: UuidArray,
    order_item_id: UuidArray,
    reviewer_id: UuidArray,
    created: IntArray,
    verified: bool,
    high: int,
) -> ReviewRows:
    n = len(product_id)
    rating = col.weighted_choice(rng, RATING_WEIGHTS, n) + 1
    moderated = created + col.uniform_between(rng, MICROS_PER_HOUR, 72 * MICROS_PER_HOUR, n)
    done = moderated <= high
    status = np.where(done, col.weighted_choice(rng, MODERATION_OUTCOME_WEIGHTS, n) + 1, PENDING)
    votes = np.where(status == APPROVED, rng.geometric(0.35, n) - 1, 0)
    return ReviewRows(
        id=col.uuids(rng, n),
        product_id=product_id,
        order_item_id=order_item_id,
        no_order_item=np.full(n, not verified),
        reviewer_id=reviewer_id,
        rating=rating,
        title=_TITLE_OFFSET[rating - 1] + (rng.random(n) * _TITLE_COUNT[rating - 1]).astype(np.int64),
        body=rng.integers(0, len(REVIEW_BODIES), n),
        verified=np.full(n, verified),
        votes=votes.astype(np.int64),
        status=status.astype(np.int64),
        moderated=np.where(done, moderated, NEVER),
        created=created,
        updated=np.where(done, moderated, created),
    )


def generate_reviews(
    rng: np.random.Generator,
    plans: Plans,
    low: int,
    high: int,
    unverified_from: int,
    product_pool: UuidArray,
    reviewer_pool: UuidArray,
    rates: dict[str, float],
    manifest: Manifest,
) -> ReviewRows:
    """Verified reviews planned in (low, high], unverified ones (written in (unverified_from, high])
    on top, and the orphan faults."""
    idx = events_between(plans, "review", low, high)
    verified = _new_reviews(
        rng, plans.review_product_id[idx], plans.review_item_id[idx], plans.buyer_id[idx], plans.review[idx], True, high
    )
    n_unverified = int(rng.binomial(len(idx), UNVERIFIED_SHARE)) if len(idx) else 0
    if len(product_pool) == 0 or len(reviewer_pool) == 0:
        n_unverified = 0
    unverified = _new_reviews(
        rng,
        product_pool[rng.integers(0, max(len(product_pool), 1), n_unverified)],
        col.no_uuids(n_unverified),
        reviewer_pool[rng.integers(0, max(len(reviewer_pool), 1), n_unverified)],
        col.uniform_between(rng, unverified_from + 1, high + 1, n_unverified),
        False,
        high,
    )
    rows = concat_reviews([verified, unverified])
    order = np.argsort(rows.created, kind="stable")
    rows = ReviewRows(**{f.name: getattr(rows, f.name)[order] for f in fields(ReviewRows)})

    for fault, column in (("orphan_review_product", "product_id"), ("orphan_review_reviewer", "reviewer_id")):
        hit = choose(rng, len(rows), rates[fault])
        original = getattr(rows, column)[hit].copy()
        getattr(rows, column)[hit] = col.uuids(rng, len(hit))
        manifest.add(fault, rows.id[hit], rows.created[hit], col.join(f"replaces {column} ", col.uuid_text(original)))
    return rows


def reviews_frame(rows: ReviewRows) -> Frame:
    return (
        Frame(len(rows))
        .uuid("id", rows.id)
        .uuid("product_id", rows.product_id)
        .uuid("order_item_id", rows.order_item_id, rows.no_order_item)
        .uuid("reviewer_id", rows.reviewer_id)
        .integer("rating", rows.rating)
        .text("title", col.pick(_TITLES, rows.title))
        .text("body", col.pick(REVIEW_BODIES, rows.body))
        .boolean("is_verified_purchase", rows.verified)
        .integer("helpful_votes", rows.votes)
        .text("status", col.pick(REVIEW_STATUSES, rows.status))
        .ts("moderated_at", rows.moderated)
        .ts("created_at", rows.created)
        .ts("updated_at", rows.updated)
    )
