"""How a loan ends unpaid: overdue past its grace period (defaulted), or forgiven.

Either way the principal still on the books can be written off: moved from the borrower's
loans receivable to write-offs in the ledger. Interest never paid was never booked as income,
so there is nothing to reverse for it. A loan is written off at most once.

`mark_overdue` is idempotent: a loan turns defaulted by a conditional update, so running the
check twice, or from the bot and the CLI at the same time, defaults and writes off once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from clocks import utc
from core.errors import InvalidState, PermissionDenied
from plugins.loans import postings
from plugins.loans.models import REPAYABLE_STATUSES, Loan, LoanStatus
from plugins.loans.settings import LoansSettings
from plugins.loans.statements import balance_of, balances, get_loan, overdue
from plugins.loans.terms import ZERO, Balance


@dataclass(frozen=True)
class Closed:
    """A loan that was defaulted or forgiven, and the principal written off with it."""

    loan: Loan
    balance: Balance
    written_off: Decimal


async def _write_off(
    loan: Loan, balance: Balance, *, why: str, actor_id: int | None, at: datetime
) -> Decimal:
    """Take the principal still on the books off them (inside the caller's transaction)."""
    amount = balance.receivable
    if amount <= 0:
        return ZERO
    await Loan.filter(id=loan.id).update(
        written_off_auec=loan.written_off_auec + amount, written_off_date=at
    )
    await postings.write_off(loan, amount, why=why, actor_id=actor_id, at=at)
    return amount


async def forgivable(guild_id: int, loan_id: int, *, actor_id: int) -> tuple[Loan, Balance]:
    """The loan and what is owed on it, if `actor_id` may forgive it now (else the refusal
    `forgive_loan` gives): what a confirmation step shows before anyone confirms."""
    loan = await get_loan(guild_id, loan_id)
    _check_forgivable(loan, actor_id)
    return loan, await balance_of(loan)


def _check_forgivable(loan: Loan, actor_id: int) -> None:
    if loan.borrower_id == actor_id:
        raise PermissionDenied("you can't forgive your own loan: another treasurer has to")
    if loan.status not in REPAYABLE_STATUSES:
        raise InvalidState(
            f"loan #{loan.id} is {loan.status}: only an active or defaulted loan can be forgiven"
        )


async def forgive_loan(guild_id: int, loan_id: int, *, actor_id: int, at: datetime) -> Closed:
    """A treasurer forgives what is left of an active or defaulted loan and writes it off."""
    at = utc(at)
    async with in_transaction():
        loan = await get_loan(guild_id, loan_id, for_update=True)
        _check_forgivable(loan, actor_id)
        balance = await balance_of(loan)
        forgiven = await Loan.filter(
            id=loan.id, guild_id=guild_id, status__in=REPAYABLE_STATUSES
        ).update(
            status=LoanStatus.FORGIVEN,
            forgiven_by_id=actor_id,
            forgiven_date=at,
            updated_at=utc(),
        )
        if not forgiven:
            raise InvalidState(
                f"loan #{loan.id} is {loan.status}: only an active or defaulted loan can be "
                "forgiven"
            )
        amount = await _write_off(loan, balance, why="forgiven", actor_id=actor_id, at=at)
        await loan.refresh_from_db()
    return Closed(loan, balance, amount)


async def mark_overdue(guild_id: int, *, settings: LoansSettings, at: datetime) -> list[Closed]:
    """Default this guild's active loans whose due date + grace has passed; write each off
    when the guild says so. Returns the loans this call defaulted (none on a second run)."""
    at = utc(at)
    cutoff = at - timedelta(days=settings.grace_days)
    candidates = await overdue(Loan.filter(guild_id=guild_id), cutoff).values_list("id", flat=True)
    closed = []
    for loan_id in candidates:
        async with in_transaction():
            loan = await get_loan(guild_id, loan_id, for_update=True)
            defaulted = await Loan.filter(
                id=loan.id, guild_id=guild_id, status=LoanStatus.ACTIVE
            ).update(status=LoanStatus.DEFAULTED, defaulted_date=at, updated_at=utc())
            if not defaulted:  # repaid or forgiven since the candidates were read
                continue
            balance = await balance_of(loan)
            amount = ZERO
            if settings.write_off_on_default:
                amount = await _write_off(loan, balance, why="defaulted", actor_id=None, at=at)
            await loan.refresh_from_db()
        closed.append(Closed(loan, balance, amount))
    return closed


async def guilds_with_active_loans() -> list[int]:
    """Guilds that have anything `mark_overdue` could act on."""
    rows = await Loan.filter(status=LoanStatus.ACTIVE).distinct().values_list("guild_id", flat=True)
    return sorted(set(rows))


async def unannounced_defaults(guild_id: int) -> list[Closed]:
    """Defaulted loans not yet announced (defaulted by the CLI, or while the bot was away)."""
    loans = await Loan.filter(
        guild_id=guild_id, status=LoanStatus.DEFAULTED, default_notified=False
    ).order_by("id")
    found = await balances(loans)
    return [Closed(loan, found[loan.id], loan.written_off_auec) for loan in loans]


async def mark_announced(guild_id: int, loan_ids: Iterable[int]) -> int:
    return await Loan.filter(guild_id=guild_id, id__in=list(loan_ids)).update(default_notified=True)
