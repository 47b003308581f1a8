"""Paying a loan back, partly or in full, by the borrower or recorded by a treasurer.

A payment larger than what is owed is refused (not capped): the member is told the exact
amount left, so nothing is ever paid twice. Interest is paid first, then principal. The
payment that brings the amount owed to zero marks the loan paid with its `paid_date`.

The loan row is locked for the whole payment, so two payments at the same moment are
applied one after the other and the second sees what the first left (PostgreSQL; SQLite
serializes writers anyway).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.transactions import in_transaction

from clocks import utc
from core.errors import InvalidInput, InvalidState, MemberRef, PermissionDenied
from core.money import fmt, to_amount
from plugins.loans import postings
from plugins.loans.models import REPAYABLE_STATUSES, Loan, LoanRepayment, LoanStatus
from plugins.loans.statements import balance_of, get_loan
from plugins.loans.terms import Balance


@dataclass(frozen=True)
class Repaid:
    loan: Loan
    payment: LoanRepayment
    balance: Balance  # after this payment


async def repay(
    guild_id: int,
    loan_id: int,
    amount: Decimal | str,
    *,
    payer_id: int,
    at: datetime,
    for_others: bool = False,
) -> Repaid:
    """Record a payment on a loan; `for_others` lets a treasurer record one for the borrower."""
    at = utc(at)
    value = to_amount(amount, what="amount")
    async with in_transaction():
        loan = await get_loan(guild_id, loan_id, for_update=True)
        if loan.borrower_id != payer_id and not for_others:
            raise PermissionDenied(
                f"loan #{loan.id} is ",
                MemberRef(loan.borrower_id),
                "'s: only they or a treasurer can record a payment on it",
            )
        if loan.status not in REPAYABLE_STATUSES:
            raise InvalidState(f"loan #{loan.id} is {loan.status}: there is nothing to repay")
        before = await balance_of(loan)
        if before.written_off:
            raise InvalidState(f"loan #{loan.id} was written off: it takes no more payments")
        if value > before.owed:
            raise InvalidInput(
                f"{fmt(value)} is more than the {fmt(before.owed)} left to repay on loan "
                f"#{loan.id}: pay at most {before.owed:,.2f}"
            )
        interest_part, principal_part = before.allocate(value)
        payment = await LoanRepayment.create(
            guild_id=guild_id,
            loan_id=loan.id,
            amount_auec=value,
            interest_auec=interest_part,
            principal_auec=principal_part,
            recorded_by_id=payer_id,
            paid_at=at,
        )
        await postings.repayment(loan, payment, at=at)
        after = before.after(interest_part, principal_part)
        if after.owed == 0:
            await Loan.filter(id=loan.id, guild_id=guild_id).update(
                status=LoanStatus.PAID, paid_date=at, updated_at=utc()
            )
            await loan.refresh_from_db()
    return Repaid(loan, payment, after)
