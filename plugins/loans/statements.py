"""Reading loans: one by id (this guild's only), where each stands, lists for officers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.queryset import QuerySet

from core.errors import InvalidInput, NotFound
from plugins.loans.models import Loan, LoanRepayment, LoanStatus
from plugins.loans.terms import ZERO, Balance

# loans.id is a 32-bit SERIAL: a larger number cannot be a loan (and PostgreSQL would refuse it)
MAX_LOAN_ID = 2**31 - 1


async def get_loan(guild_id: int, loan_id: int, *, for_update: bool = False) -> Loan:
    """This guild's loan `loan_id`; another guild's is "not found", like a missing one.

    With `for_update`, the row is locked until the caller's transaction ends (PostgreSQL).
    """
    if not 1 <= loan_id <= MAX_LOAN_ID:
        raise NotFound(f"there is no loan #{loan_id} in this server")
    query = Loan.filter(id=loan_id, guild_id=guild_id)
    if for_update:
        query = query.select_for_update()
    loan = await query.first()
    if loan is None:
        raise NotFound(f"there is no loan #{loan_id} in this server")
    return loan


async def balances(loans: Iterable[Loan]) -> dict[int, Balance]:
    """Each loan's balance from its repayments, in one query (sums in Python: exact on SQLite)."""
    loans = list(loans)
    parts: defaultdict[int, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    if loans:
        rows = await LoanRepayment.filter(loan_id__in=[loan.id for loan in loans]).values_list(
            "loan_id", "interest_auec", "principal_auec"
        )
        for loan_id, interest, principal in rows:
            parts[loan_id][0] += Decimal(str(interest))
            parts[loan_id][1] += Decimal(str(principal))
    return {
        loan.id: Balance(
            principal=loan.amount_auec,
            interest=loan.interest_auec,
            interest_repaid=parts[loan.id][0],
            principal_repaid=parts[loan.id][1],
            written_off=loan.written_off_auec,
        )
        for loan in loans
    }


async def balance_of(loan: Loan) -> Balance:
    return (await balances([loan]))[loan.id]


@dataclass(frozen=True)
class Statement:
    """A loan, where it stands, and its payments oldest first."""

    loan: Loan
    balance: Balance
    repayments: list[LoanRepayment]
    grace_days: int

    @property
    def grace_until(self) -> datetime | None:
        """When an unpaid loan becomes defaulted."""
        due = self.loan.due_date
        return None if due is None else due + timedelta(days=self.grace_days)


async def statement(guild_id: int, loan_id: int, *, grace_days: int) -> Statement:
    loan = await get_loan(guild_id, loan_id)
    repayments = await LoanRepayment.filter(loan_id=loan.id).order_by("paid_at", "id")
    return Statement(loan, await balance_of(loan), repayments, grace_days)


def overdue(query: QuerySet[Loan], at: datetime) -> QuerySet[Loan]:
    """Active loans past their due date at `at`: in their grace period, or past it and not yet
    defaulted by the overdue check. Defaulted loans have a status of their own."""
    return query.filter(status=LoanStatus.ACTIVE, due_date__lt=at)


@dataclass(frozen=True)
class Waiting:
    """What a treasurer has to look at in a guild's loans (the portal's guild home)."""

    requests: int  # asking for a decision
    overdue: int  # active and past due
    defaulted: int  # unpaid past due + grace (the overdue check defaulted them)


async def waiting(guild_id: int, *, at: datetime) -> Waiting:
    """Counts for the guild home: three small counts, scoped by guild."""
    return Waiting(
        requests=await Loan.filter(guild_id=guild_id, status=LoanStatus.REQUESTED).count(),
        overdue=await overdue(Loan.filter(guild_id=guild_id), at).count(),
        defaulted=await Loan.filter(guild_id=guild_id, status=LoanStatus.DEFAULTED).count(),
    )


async def list_loans(
    guild_id: int,
    *,
    borrower_id: int | None = None,
    status: str | None = None,
    overdue_at: datetime | None = None,
    limit: int = 25,
) -> list[tuple[Loan, Balance]]:
    """This guild's loans, newest first, optionally one member's and/or one status; with
    `overdue_at`, only the active loans past their due date then (see `overdue`)."""
    query = Loan.filter(guild_id=guild_id)
    if borrower_id is not None:
        query = query.filter(borrower_id=borrower_id)
    if overdue_at is not None:
        query = overdue(query, overdue_at)
    if status is not None:
        try:
            query = query.filter(status=LoanStatus(status))
        except ValueError:
            names = ", ".join(s.value for s in LoanStatus)
            raise InvalidInput(f"unknown loan status {status!r}: use one of {names}") from None
    loans = await query.order_by("-id").limit(limit)
    found = await balances(loans)
    return [(loan, found[loan.id]) for loan in loans]
