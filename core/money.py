"""Money as Decimal to the cent, within DECIMAL(15,2), and splits that add up exactly."""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

from core.errors import InvalidInput

CENT = Decimal("0.01")
# DECIMAL(15,2): 13 digits before the point
MAX_AMOUNT = Decimal("9999999999999.99")


def to_amount(
    value: Decimal | int | str,
    *,
    what: str = "amount",
    allow_zero: bool = False,
    allow_negative: bool = False,
    maximum: Decimal = MAX_AMOUNT,
) -> Decimal:
    """Parse and check an amount of aUEC; refuse rather than round away extra precision."""
    if isinstance(value, float):
        raise InvalidInput(f"{what} must be exact (Decimal or text), not a float")
    if type(value) is Decimal:  # computed amounts (payroll's lines): nothing to parse
        amount = value
    else:
        try:
            amount = Decimal(str(value).strip().replace(",", "").replace("_", ""))
        except (InvalidOperation, ValueError):
            raise InvalidInput(f"{what} {value!r} is not a number") from None
    if not amount.is_finite():
        raise InvalidInput(f"{what} {value!r} is not a number")
    if amount.adjusted() > maximum.adjusted():  # e.g. 1e300: too big even to quantize
        raise InvalidInput(f"{what} {value} is beyond the largest allowed ({maximum})")
    if amount != amount.quantize(CENT, rounding=ROUND_DOWN):
        raise InvalidInput(f"{what} {value} has more than 2 decimal places")
    if amount < 0 and not allow_negative:
        raise InvalidInput(f"{what} must not be negative (got {amount})")
    if amount == 0 and not allow_zero:
        raise InvalidInput(f"{what} must be more than zero")
    if abs(amount) > maximum:
        raise InvalidInput(f"{what} {amount} is beyond the largest allowed ({maximum})")
    return unsigned_zero(amount.quantize(CENT))


def cents(value: Decimal) -> Decimal:
    """Round half up to the cent (for computed values such as SCU × price)."""
    return unsigned_zero(value.quantize(CENT, rounding=ROUND_HALF_UP))


def unsigned_zero(amount: Decimal) -> Decimal:
    """`-0.00` → `0.00`, anything else unchanged.

    Decimal keeps the sign of a zero (`Decimal("-0")`, `-Decimal("0.00")`, `-0.001` rounded),
    SQLite stores it as written and f-strings show it, so a member would read "-0.00 aUEC".
    Every amount parsed, rounded or shown goes through here."""
    return amount.copy_abs() if amount.is_zero() else amount


def split(total: Decimal, weights: Sequence[Decimal | int]) -> list[Decimal]:
    """Split `total` by `weights` with largest-remainder rounding: the parts sum to `total`.

    Each part is floor(total × weight / sum) cents, and the cents left over go one each to the
    largest remainders. Exact (whole numbers of cents, weights scaled to whole numbers), so
    equal remainders are truly equal: ties go to the earlier entry, so callers should pass a
    stable order.
    """
    if total != total.quantize(CENT):
        raise ValueError("total must be whole cents")
    if not weights:
        return []
    whole = _whole_weights(weights)
    if min(whole) < 0:
        raise ValueError("weights must not be negative")
    weight_sum = sum(whole)
    if weight_sum == 0:
        raise ValueError("at least one weight must be positive")
    total_cents = int(total.scaleb(2))
    if total_cents < 0:
        raise ValueError("total must not be negative")
    floors = [total_cents * w // weight_sum for w in whole]
    left = total_cents - sum(floors)
    if left:
        remainders = [total_cents * w % weight_sum for w in whole]
        # a stable sort keeps equal remainders in entry order, reversed or not
        for i in sorted(range(len(whole)), key=remainders.__getitem__, reverse=True)[:left]:
            floors[i] += 1
    return [Decimal(c) * CENT for c in floors]


def _whole_weights(weights: Sequence[Decimal | int]) -> list[int]:
    """The weights as whole numbers in the same proportions (Decimal weights scaled up)."""
    if all(type(w) is int for w in weights):
        return list(weights)  # type: ignore[arg-type]
    exact = [Fraction(w) for w in weights]
    scale = math.lcm(*(f.denominator for f in exact))
    return [f.numerator * (scale // f.denominator) for f in exact]


def fmt(amount: Decimal) -> str:
    """`1234567.5` → `1,234,567.50 aUEC` (never `-0.00`).

    `cents` written out: a portal page formats three amounts a payout row, and the two calls
    were a third of the time."""
    rounded = amount.quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{rounded.copy_abs() if rounded.is_zero() else rounded:,.2f} aUEC"
