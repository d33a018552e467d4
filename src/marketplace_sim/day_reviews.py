"""A day of review moderation and helpful votes (new reviews come with the orders they review)."""

from __future__ import annotations

import numpy as np

from marketplace_sim import columns as col
from marketplace_sim import fetch as f
from marketplace_sim.columns import MICROS_PER_HOUR
from marketplace_sim.day import Day, index_sql, update, within
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reviews import MODERATION_OUTCOME_WEIGHTS, REVIEW_STATUSES

MODERATION_RATE = 0.7  # share of waiting reviews moderated per day
VOTE_RATE = 0.003  # share of approved reviews that get helpful votes per day


def simulate_moderation(day: Day) -> None:
    """Moderate waiting reviews and add helpful votes to approved ones."""
    rng = day.rng(7)
    ids, created, status, votes = f.fetch(
        day.conn,
        [
            f.uuid("id"),
            f.micros("created_at"),
            f.integer(index_sql("status", REVIEW_STATUSES)),
            f.integer("helpful_votes"),
        ],
        "FROM reviews WHERE status IN ('pending', 'approved')",
    )
    waiting = np.flatnonzero((status == 0) & (created <= day.high - MICROS_PER_HOUR))
    decided = waiting[rng.random(len(waiting)) < MODERATION_RATE]
    when = within(rng, np.maximum(created[decided] + MICROS_PER_HOUR, day.low), day.high, len(decided))
    outcome = col.weighted_choice(rng, MODERATION_OUTCOME_WEIGHTS, len(decided)) + 1
    update(
        day.conn,
        "reviews",
        Frame(len(decided))
        .uuid("id", ids[decided])
        .text("status", col.pick(REVIEW_STATUSES, outcome))
        .ts("moderated_at", when)
        .ts("updated_at", when),
    )
    day.note("reviews", "moderated", len(decided))
    approved = np.flatnonzero(status == 1)
    voted = np.sort(rng.choice(approved, rng.binomial(len(approved), VOTE_RATE), replace=False))
    update(
        day.conn,
        "reviews",
        Frame(len(voted))
        .uuid("id", ids[voted])
        .integer("helpful_votes", votes[voted] + rng.integers(1, 4, len(voted)))
        .ts("updated_at", within(rng, day.low, day.high, len(voted))),
    )
    day.note("reviews", "voted", len(voted))
