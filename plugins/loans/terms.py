"""The arithmetic of a loan: interest for its term and how a payment is split. No database.

Interest is simple interest on the principal, fixed when the loan is made: `rate × principal`
for the whole term (basis "term", the default), or `rate × principal × term_days / 365`
(basis "annual"), rounded half up to the cent. Repaying early does not reduce it.

A payment pays outstanding interest first, then principal. Interest is income only as it is
paid, so the loans receivable account holds exactly the principal not yet repaid.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Literal

from core.errors import InvalidInput
from core.money import MAX_AMOUNT, cents, fmt
from plugins.loans.settings import MAX_RATE, LoansSettings

ZERO = Decimal("0.00")
RATE_STEP = Decimal("0.0001")
DAYS_PER_YEAR = 365

Basis = Literal["term", "annual"]


def interest_for(principal: Decimal, rate: Decimal, term_days: int, basis: Basis) -> Decimal:
    """Simple interest on `principal` for the whole term, to the cent (half up)."""
    if basis == "term":
        return cents(principal * rate)
    return cents(principal * rate * term_days / DAYS_PER_YEAR)


def parse_rate(
    value: Decimal | str, *, what: str = "interest rate", maximum: Decimal = MAX_RATE
) -> Decimal:
    """A rate such as `0.05` (5 %): at most 4 decimal places, 0 to `maximum` (a guild's
    `max_rate`; never above 9.9999, what DECIMAL(5,4) holds)."""
    if isinstance(value, float):
        raise InvalidInput(f"{what} must be exact (Decimal or text), not a float")
    try:
        rate = Decimal(str(value).strip().rstrip("%").strip())
    except InvalidOperation:
        raise InvalidInput(f"{what} {value!r} is not a number (write 0.05 for 5 %)") from None
    if not rate.is_finite():
        raise InvalidInput(f"{what} {value!r} is not a number (write 0.05 for 5 %)")
    if str(value).strip().endswith("%"):
        rate = rate / 100
    if rate < 0:
        raise InvalidInput(f"{what} must not be negative (got {value})")
    if rate > MAX_RATE:
        raise InvalidInput(f"{what} {value} is above the largest allowed ({MAX_RATE})")
    if rate > maximum:
        raise InvalidInput(
            f"{what} {value} is more than this server lends at (at most {percent(maximum)})"
        )
    if rate != rate.quantize(RATE_STEP, rounding=ROUND_DOWN):
        raise InvalidInput(f"{what} {value} has more than 4 decimal places")
    return rate.quantize(RATE_STEP)


def percent(rate: Decimal) -> str:
    """`0.05` → `5 %`, `0.125` → `12.5 %` (rates as members write them)."""
    return f"{(rate * 100).normalize():f} %"


def check_term(term_days: int | None, settings: LoansSettings) -> int:
    """The term in days, defaulting and limited by the guild's settings."""
    if term_days is None:
        return settings.default_term_days
    if not settings.min_term_days <= term_days <= settings.max_term_days:
        raise InvalidInput(
            f"the term must be {settings.min_term_days} to {settings.max_term_days} days "
            f"(got {term_days})"
        )
    return term_days


def check_principal(amount: Decimal, settings: LoansSettings) -> None:
    if amount > settings.max_amount:
        raise InvalidInput(
            f"{fmt(amount)} is more than this server lends at once (at most "
            f"{fmt(settings.max_amount)})"
        )


def check_total(principal: Decimal, interest: Decimal) -> None:
    if principal + interest > MAX_AMOUNT:
        raise InvalidInput(
            f"principal and interest together ({principal + interest}) exceed the largest "
            f"amount the bot can record ({MAX_AMOUNT})"
        )


@dataclass(frozen=True, slots=True)
class Balance:
    """Where a loan stands: what was lent, the interest due, and what has come back."""

    principal: Decimal
    interest: Decimal
    principal_repaid: Decimal = ZERO
    interest_repaid: Decimal = ZERO
    written_off: Decimal = ZERO

    @property
    def repaid(self) -> Decimal:
        return self.principal_repaid + self.interest_repaid

    @property
    def owed(self) -> Decimal:
        """Principal + interest − repaid, exact to the cent (write-offs do not change it)."""
        return self.principal + self.interest - self.repaid

    @property
    def interest_outstanding(self) -> Decimal:
        return self.interest - self.interest_repaid

    @property
    def principal_outstanding(self) -> Decimal:
        return self.principal - self.principal_repaid

    @property
    def receivable(self) -> Decimal:
        """Principal still on the books: what the loans receivable account holds for it."""
        return self.principal_outstanding - self.written_off

    def allocate(self, amount: Decimal) -> tuple[Decimal, Decimal]:
        """Split a payment of at most `owed` into (interest part, principal part)."""
        if amount > self.owed:
            raise ValueError("a payment cannot exceed what is owed")
        interest_part = min(amount, self.interest_outstanding)
        return interest_part, amount - interest_part

    def after(self, interest_part: Decimal, principal_part: Decimal) -> Balance:
        return Balance(
            self.principal,
            self.interest,
            self.principal_repaid + principal_part,
            self.interest_repaid + interest_part,
            self.written_off,
        )
