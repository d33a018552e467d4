"""Categories (a fixed two-level tree) and product listings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from marketplace_sim import columns as col
from marketplace_sim.clock import to_micros
from marketplace_sim.columns import NEVER, BoolArray, IntArray, UuidArray
from marketplace_sim.pgbinary import Frame
from marketplace_sim.reference import (
    ADJECTIVES,
    BRANDS,
    CATEGORY_TREE,
    COLORS,
    CONDITIONS,
    CURRENCIES,
    CURRENCY_CODES,
    INACTIVE_LEAVES,
    TAGS,
)

PRODUCT_STATUSES = ("draft", "active", "paused", "sold_out", "deleted")
DRAFT, ACTIVE, PAUSED, SOLD_OUT, DELETED = range(5)
STATUS_WEIGHTS = (0.04, 0.76, 0.06, 0.08, 0.06)
CATEGORIES_CREATED = to_micros(datetime(2024, 1, 15, tzinfo=UTC))


def _slug(name: str) -> str:
    return "-".join(name.lower().replace("&", "and").replace("'", "").split())


@dataclass(frozen=True)
class CategoryRow:
    id: int
    name: str
    slug: str
    parent_id: int | None
    level: int
    is_active: bool
    created_at: int


def category_rows() -> list[CategoryRow]:
    """Top-level categories get ids 1..8, their leaves follow in tree order."""
    rows: list[CategoryRow] = []
    for pos, (top, _) in enumerate(CATEGORY_TREE):
        rows.append(CategoryRow(pos + 1, top, _slug(top), None, 1, True, CATEGORIES_CREATED + pos * 3_600_000_000))
    next_id = len(CATEGORY_TREE) + 1
    for pos, (top, leaves) in enumerate(CATEGORY_TREE):
        for leaf in leaves:
            rows.append(
                CategoryRow(
                    next_id,
                    leaf.name,
                    f"{_slug(top)}-{_slug(leaf.name)}",
                    pos + 1,
                    2,
                    leaf.name not in INACTIVE_LEAVES,
                    CATEGORIES_CREATED + next_id * 3_600_000_000,
                )
            )
            next_id += 1
    return rows


CATEGORY_ROWS = category_rows()
LEAVES = [
    (row.id, leaf)
    for row, leaf in zip(
        [r for r in CATEGORY_ROWS if r.level == 2],
        [leaf for _, leaves in CATEGORY_TREE for leaf in leaves],
        strict=True,
    )
]
LEAF_IDS = np.array([cid for cid, _ in LEAVES], dtype=np.int64)
LEAF_MEDIAN_USD = np.array([leaf.median_usd for _, leaf in LEAVES])
NOUNS = tuple(noun for _, leaf in LEAVES for noun in leaf.nouns)
NOUNS_PER_LEAF = 3


def categories_frame() -> Frame:
    rows = CATEGORY_ROWS
    parent = np.array([r.parent_id or 0 for r in rows], dtype=np.int64)
    return (
        Frame(len(rows))
        .integer("id", np.array([r.id for r in rows], dtype=np.int64))
        .text("name", pa.array([r.name for r in rows], pa.string()))
        .text("slug", pa.array([r.slug for r in rows], pa.string()))
        .integer("parent_id", parent, parent == 0)
        .integer("level", np.array([r.level for r in rows], dtype=np.int64))
        .boolean("is_active", np.array([r.is_active for r in rows], dtype=np.bool_))
        .ts("created_at", np.array([r.created_at for r in rows], dtype=np.int64))
    )


@dataclass
class Products:
    id: UuidArray
    seller_id: UuidArray
    currency: IntArray  # index into CURRENCIES
    leaf: IntArray  # index into LEAVES
    adjective: IntArray
    noun: IntArray  # index into NOUNS
    color: IntArray
    brand: IntArray
    condition: IntArray
    weight_g: IntArray
    tag_mask: BoolArray  # (n, len(TAGS))
    tags_null: BoolArray
    description_null: BoolArray
    price: IntArray  # hundredths
    quantity: IntArray
    status: IntArray
    created: IntArray
    published: IntArray  # NEVER for drafts
    updated: IntArray

    def __len__(self) -> int:
        return len(self.id)

    def titles(self) -> pa.Array:
        return col.join(col.pick(ADJECTIVES, self.adjective), " ", col.pick(NOUNS, self.noun))

    def category_ids(self) -> IntArray:
        return LEAF_IDS[self.leaf]


def list_prices(rng: np.random.Generator, leaf: IntArray, currency: IntArray) -> IntArray:
    """Listing prices in hundredths: a log-normal around the leaf's median, converted and rounded the
    way sellers price (x.99; whole tens of yen)."""
    usd = LEAF_MEDIAN_USD[leaf] * np.exp(rng.normal(0.0, 0.6, len(leaf)))
    per_usd = np.array([c.per_usd for c in CURRENCIES])[currency]
    zero_decimal = np.array([c.decimals == 0 for c in CURRENCIES])[currency]
    local = usd * per_usd
    whole = np.maximum(np.round(local), 1).astype(np.int64)
    decimal_price = whole * 100 - 1
    yen_price = np.maximum(np.round(local / 10), 10).astype(np.int64) * 1000
    return np.where(zero_decimal, yen_price, decimal_price).astype(np.int64)


def new_products(
    rng: np.random.Generator,
    seller_id: UuidArray,
    seller_currency: IntArray,
    created: IntArray,
    until: int,
    force_active: BoolArray | None = None,
) -> Products:
    """Listings by the given sellers (one per entry), created at ``created``, state as of ``until``."""
    n = len(seller_id)
    leaf = rng.integers(0, len(LEAVES), n)
    status = col.weighted_choice(rng, STATUS_WEIGHTS, n)
    if force_active is not None:
        status = np.where(force_active, ACTIVE, status)
    published = np.minimum(created + col.uniform_between(rng, 5 * 60_000_000, 48 * col.MICROS_PER_HOUR, n), until)
    published = np.where(status == DRAFT, NEVER, published)
    last_touch = np.where(published == NEVER, created, published)
    quantity = np.where(status == SOLD_OUT, 0, np.minimum(rng.geometric(1 / 40, n), 999))
    return Products(
        id=col.uuids(rng, n),
        seller_id=seller_id,
        currency=seller_currency.astype(np.int64),
        leaf=leaf,
        adjective=rng.integers(0, len(ADJECTIVES), n),
        noun=leaf * NOUNS_PER_LEAF + rng.integers(0, NOUNS_PER_LEAF, n),
        color=rng.integers(0, len(COLORS), n),
        brand=rng.integers(0, len(BRANDS), n),
        condition=rng.integers(0, len(CONDITIONS), n),
        weight_g=(np.exp(rng.normal(6.0, 1.0, n))).astype(np.int64) + 20,
        tag_mask=rng.random((n, len(TAGS))) < 0.15,
        tags_null=rng.random(n) < 0.2,
        description_null=rng.random(n) < 0.1,
        price=list_prices(rng, leaf, seller_currency),
        quantity=quantity.astype(np.int64),
        status=status,
        created=created.astype(np.int64),
        published=published.astype(np.int64),
        updated=col.uniform_between(rng, last_touch, np.maximum(until, last_touch + 1), n),
    )


def _tags(mask: BoolArray) -> pa.ListArray:
    rows, which = np.nonzero(mask)
    counts = np.bincount(rows, minlength=mask.shape[0])
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return col.string_lists(offsets, col.pick(TAGS, which))


def products_frame(p: Products) -> Frame:
    titles = p.titles()
    color = col.pick(COLORS, p.color)
    condition = col.pick(CONDITIONS, p.condition)
    attributes = col.json_object(
        [
            ("brand", col.pick(BRANDS, p.brand), True),
            ("color", color, True),
            ("condition", condition, True),
            ("weight_g", col.int_text(p.weight_g), False),
        ]
    )
    description = col.join(titles, " in ", color, ", condition: ", condition, ". Ships within 2 business days.")
    return (
        Frame(len(p))
        .uuid("id", p.id)
        .uuid("seller_id", p.seller_id)
        .integer("category_id", p.category_ids())
        .text("title", titles)
        .text("description", description, p.description_null)
        .money("price_amount", p.price)
        .text("price_currency", col.pick(CURRENCY_CODES, p.currency))
        .integer("quantity_available", p.quantity)
        .text("status", col.pick(PRODUCT_STATUSES, p.status))
        .text_array("tags", _tags(p.tag_mask), p.tags_null)
        .json("attributes", attributes)
        .ts("created_at", p.created)
        .ts("updated_at", p.updated)
        .ts("published_at", p.published)
    )


def skewed_index(rng: np.random.Generator, counts: npt.NDArray[np.int64], power: float = 1.5) -> IntArray:
    """Index in [0, count) per row, favouring low indices (older, more popular entries)."""
    return np.minimum((rng.random(len(counts)) ** power * counts).astype(np.int64), np.maximum(counts - 1, 0))
