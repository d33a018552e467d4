"""The messy values of payment-provider files, applied at seeded rates from the file contracts.

What is messed up follows from each column's declaration (landing/streams/*.yml), never from a
list of column names here:

* ``messy_amount`` — ``intended: numeric`` values written ``"$1,234.50"``, ``"1.234,50"`` or
  ``" 12 "`` instead of ``1234.50``;
* ``messy_enum`` — values of columns with accepted ``values`` in other casing or with spaces
  (``Completed``, ``" COMPLETED "``);
* ``bad_timestamp`` — ``intended: timestamp`` values that are no timestamp (``0000-00-00 00:00:00``,
  month 13, ``not a timestamp``);
* ``null_sentinel`` — one optional value of a row (not a key, not a reference) written as one of
  the stream's ``null_values`` (``N/A``, ``NULL``, empty);
* ``duplicate_row`` — a row written again, later in the file, byte for byte.

Each rate is the share of eligible values (rows for the last two) changed, as an exact count
(``share_count``), so a rate gives a predictable number of changes.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation

from marketplace_elt.landing.contract import FileStream

Row = dict[str, str]
MESS_KINDS = ("messy_amount", "messy_enum", "bad_timestamp", "null_sentinel", "duplicate_row")


def share_count(rate: float, population: int) -> int:
    """How many of ``population`` a rate changes: ``round(rate * population)`` (none for a file too
    small for the rate, unlike the source faults, which hit at least one row)."""
    return min(population, max(0, round(rate * population)))


def share(rng: random.Random, population: int, rate: float) -> list[int]:
    """``share_count(rate, population)`` distinct indexes of ``range(population)``, sorted."""
    count = share_count(rate, population)
    return sorted(rng.sample(range(population), count)) if count else []


def messy_amount(rng: random.Random, value: str) -> str:
    """A decimal text (``-1234.50``) the way some provider exports write it."""
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return value
    sign = "-" if amount < 0 else ""
    units, _, cents = f"{abs(amount):.2f}".partition(".")
    grouped = f"{int(units):,}"
    style = rng.randrange(3)
    if style == 0:  # US currency format
        return f"{sign}${grouped}.{cents}"
    if style == 1:  # European grouping and decimal comma
        return f"{sign}{grouped.replace(',', '.')},{cents}"
    whole = abs(amount).normalize()  # padded, without trailing zeros: " 12 ", " 12.5 "
    return f" {sign}{whole:f} "


def messy_enum(rng: random.Random, value: str) -> str:
    return rng.choice([value.upper(), value.capitalize(), f" {value.upper()} ", f"{value} "])


def bad_timestamp(rng: random.Random, day: date) -> str:
    return rng.choice(
        [
            "0000-00-00 00:00:00",
            f"{day:%Y}-13-{day:%d}T25:61:00Z",
            "not a timestamp",
            f"{day:%d/%m/%Y} 24:61",
        ]
    )


def apply_mess(
    rng: random.Random, stream: FileStream, rows: list[Row], rates: Mapping[str, float], day: date
) -> tuple[list[Row], Counter[str]]:
    """A messy copy of ``rows`` (which stay as they are), and how many changes of each kind it has."""
    out = [dict(row) for row in rows]
    counts: Counter[str] = Counter()
    for column in stream.columns:
        filled = [i for i, row in enumerate(out) if row[column.name]]
        if column.intended_type == "numeric":
            for i in share(rng, len(filled), rates["messy_amount"]):
                out[filled[i]][column.name] = messy_amount(rng, out[filled[i]][column.name])
                counts["messy_amount"] += 1
        elif column.values:
            for i in share(rng, len(filled), rates["messy_enum"]):
                out[filled[i]][column.name] = messy_enum(rng, out[filled[i]][column.name])
                counts["messy_enum"] += 1
        elif column.intended_type == "timestamp":
            for i in share(rng, len(filled), rates["bad_timestamp"]):
                out[filled[i]][column.name] = bad_timestamp(rng, day)
                counts["bad_timestamp"] += 1
    optional = [c.name for c in stream.columns if c.name not in stream.key and c.references is None]
    if optional and stream.null_values:
        for i in share(rng, len(out), rates["null_sentinel"]):
            out[i][rng.choice(optional)] = rng.choice(stream.null_values)
            counts["null_sentinel"] += 1
    for i in reversed(share(rng, len(rows), rates["duplicate_row"])):
        out.insert(rng.randint(i + 1, len(out)), dict(out[i]))
        counts["duplicate_row"] += 1
    return out, counts
