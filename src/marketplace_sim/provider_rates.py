"""The rates of the provider-file generator: how far the provider's files stray from the platform.

Kept apart from the generator so that the CLI can show them in ``--help`` without loading it.
"""

from __future__ import annotations

from collections.abc import Mapping

from marketplace_elt.errors import UserError

DEFAULT_RATES: dict[str, float] = {
    "missing_at_provider": 0.02,
    "missing_at_platform": 0.01,
    "amount_mismatch": 0.02,
    "messy_amount": 0.05,
    "messy_enum": 0.05,
    "null_sentinel": 0.02,
    "bad_timestamp": 0.01,
    "duplicate_row": 0.01,
}
RATE_MEANINGS: dict[str, str] = {
    "missing_at_provider": "platform payments in none of the provider's files",
    "missing_at_platform": "extra settlement rows with no platform payment (share of settled rows)",
    "amount_mismatch": "settled amounts that differ from the payment's",
    "messy_amount": 'amounts written "$1,234.50", "1.234,50" or " 12 "',
    "messy_enum": "status values in other casing or with spaces",
    "null_sentinel": "rows with one optional value written N/A, NULL or empty",
    "bad_timestamp": "timestamps that are no timestamp",
    "duplicate_row": "rows written twice",
}


def resolve_rates(overrides: Mapping[str, float] | None = None) -> dict[str, float]:
    """DEFAULT_RATES with ``overrides`` applied (``all`` sets every rate first)."""
    rates = dict(DEFAULT_RATES)
    overrides = dict(overrides or {})
    if "all" in overrides:
        rates = dict.fromkeys(rates, overrides.pop("all"))
    for name, rate in overrides.items():
        if name not in rates:
            raise UserError(f"unknown provider-file rate {name!r}; use one of {', '.join(rates)} (or all)")
        rates[name] = rate
    for name, rate in rates.items():
        if not 0 <= rate <= 1:
            raise UserError(f"rate {name}={rate} is outside 0..1; use e.g. {name}={DEFAULT_RATES[name]}")
    return rates


def parse_rate(text: str) -> tuple[str, float]:
    """'name=rate' -> (name, rate), as given to ``--rate``."""
    from marketplace_sim.faults import parse_named_rate

    return parse_named_rate(text, "--rate", "duplicate_row=0.05")
