"""Money arithmetic of spec/policy.md ("Arithmetic"): integer fen, half-up multipliers, class months."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal


def yuan(amount: Decimal | int | str) -> int:
    """Yuan from a policy file → fen."""
    return int((Decimal(amount) * 100).to_integral_value(rounding=ROUND_HALF_UP))


def times(fen: int, factor: Decimal) -> int:
    """A multiplier (×1.3) applied to fen, rounded half-up to the fen."""
    return int((Decimal(fen) * factor).to_integral_value(rounding=ROUND_HALF_UP))


def share_floor(fen: int, share: Decimal) -> int:
    """floor(share × fen): the advance cap is never rounded up."""
    return int((Decimal(fen) * share).to_integral_value(rounding=ROUND_FLOOR))


def class_months(start: date, end: date) -> int:
    """12 × (end year − start year) + (end month − start month), plus one when end day ≥ start day."""
    months = 12 * (end.year - start.year) + (end.month - start.month)
    return months + (1 if end.day >= start.day else 0)


def class_years(months: int) -> int:
    """Years of an apprenticeship class = ceil(months / 12)."""
    return -(-months // 12)
