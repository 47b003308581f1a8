"""Making loans: a member's request, a treasurer's approval or rejection, an officer's issue.

A loan's terms (principal, rate, interest, term) are fixed when it is created, so what the
treasurer approves is what the member asked for. Approval and issue disburse: the loan turns
active with its issued and due dates, and the ledger moves the principal from the treasury
to the member's loans receivable, in one database transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tortoise.transactions import in_transaction

from clocks import utc
from core.errors import InvalidInput, InvalidState, MemberRef, NotFound, PermissionDenied
from core.models import GuildMembership
from core.money import to_amount
from plugins.loans import postings
from plugins.loans.models import OPEN_STATUSES, Loan, LoanStatus
from plugins.loans.settings import LoansSettings
from plugins.loans.statements import get_loan
from plugins.loans.terms import (
    check_principal,
    check_term,
    check_total,
    interest_for,
    parse_rate,
)

REASON_MAX = 500


def _reason(text: str | None, what: str = "reason") -> str | None:
    text = (text or "").strip()
    if len(text) > REASON_MAX:
        raise InvalidInput(f"the {what} is {len(text)} characters long: keep it to {REASON_MAX}")
    return text or None


async def _check_membership(guild_id: int, borrower_id: int, settings: LoansSettings) -> None:
    """Is the borrower (still) a member of this guild, and of the org where that is required?

    Locks their membership row until the transaction ends, so that two requests at once are
    checked one after the other (PostgreSQL; SQLite serializes writers anyway).
    """
    membership = (
        await GuildMembership.filter(guild_id=guild_id, user_id=borrower_id)
        .select_for_update()
        .first()
    )
    if membership is None or not membership.is_active:
        raise NotFound(MemberRef(borrower_id), " is not a member of this server")
    if settings.members_only and not membership.is_org_member:
        raise PermissionDenied(
            "only org members may borrow, and ", MemberRef(borrower_id), " is not one"
        )


async def _check_borrower(guild_id: int, borrower_id: int, settings: LoansSettings) -> None:
    """May this member take out one more loan now?"""
    await _check_membership(guild_id, borrower_id, settings)
    open_loans = await Loan.filter(
        guild_id=guild_id, borrower_id=borrower_id, status__in=OPEN_STATUSES
    ).count()
    if open_loans >= settings.max_open_loans:
        raise InvalidState(
            MemberRef(borrower_id),
            f" already has {open_loans} open loan(s) (requested, active or "
            f"defaulted) and this server allows {settings.max_open_loans}",
        )


@dataclass(frozen=True)
class Terms:
    """A new loan's terms, checked against the guild's limits (column names as fields)."""

    amount_auec: Decimal
    interest_rate: Decimal
    interest_auec: Decimal
    term_days: int

    @classmethod
    def check(
        cls,
        amount: Decimal | str,
        term_days: int | None,
        rate: Decimal | str | None,
        settings: LoansSettings,
    ) -> Terms:
        principal = to_amount(amount, what="amount")
        check_principal(principal, settings)
        term = check_term(term_days, settings)
        chosen_rate = (
            settings.default_rate if rate is None else parse_rate(rate, maximum=settings.max_rate)
        )
        interest = interest_for(principal, chosen_rate, term, settings.interest_basis)
        check_total(principal, interest)
        return cls(principal, chosen_rate, interest, term)


async def request_loan(
    guild_id: int,
    borrower_id: int,
    amount: Decimal | str,
    *,
    settings: LoansSettings,
    at: datetime,
    term_days: int | None = None,
    reason: str | None = None,
) -> Loan:
    """A member asks to borrow at the guild's default rate; a treasurer decides."""
    at = utc(at)
    terms = Terms.check(amount, term_days, None, settings)
    note = _reason(reason)
    async with in_transaction():
        await _check_borrower(guild_id, borrower_id, settings)
        return await Loan.create(
            guild_id=guild_id,
            borrower_id=borrower_id,
            status=LoanStatus.REQUESTED,
            reason=note,
            requested_at=at,
            **asdict(terms),
        )


async def issue_loan(
    guild_id: int,
    borrower_id: int,
    amount: Decimal | str,
    *,
    officer_id: int,
    settings: LoansSettings,
    at: datetime,
    term_days: int | None = None,
    rate: Decimal | str | None = None,
    reason: str | None = None,
) -> Loan:
    """An officer lends directly (no request), at the default rate or one they name."""
    at = utc(at)
    if borrower_id == officer_id:
        raise PermissionDenied("you can't issue a loan to yourself: ask another officer")
    terms = Terms.check(amount, term_days, rate, settings)
    note = _reason(reason)
    async with in_transaction():
        await _check_borrower(guild_id, borrower_id, settings)
        loan = await Loan.create(
            guild_id=guild_id,
            borrower_id=borrower_id,
            status=LoanStatus.ACTIVE,
            reason=note,
            requested_at=at,
            issued_date=at,
            due_date=at + timedelta(days=terms.term_days),
            decided_by_id=officer_id,
            decided_at=at,
            **asdict(terms),
        )
        await postings.disburse(loan, actor_id=officer_id, at=at)
    return loan


async def approve_loan(
    guild_id: int, loan_id: int, *, approver_id: int, settings: LoansSettings, at: datetime
) -> Loan:
    """Approve a requested loan and disburse it, once: a second approval (even at the same
    moment, from another treasurer) finds it no longer requested and changes nothing.

    The borrower must still be a member (of the org, where required) when it is approved.
    """
    at = utc(at)
    async with in_transaction():
        loan = await get_loan(guild_id, loan_id)
        if loan.borrower_id == approver_id:
            raise PermissionDenied("you can't approve your own loan: another treasurer has to")
        if loan.status == LoanStatus.REQUESTED:
            await _check_membership(guild_id, loan.borrower_id, settings)
        approved = await Loan.filter(
            id=loan.id, guild_id=guild_id, status=LoanStatus.REQUESTED
        ).update(
            status=LoanStatus.ACTIVE,
            issued_date=at,
            due_date=at + timedelta(days=loan.term_days),
            decided_by_id=approver_id,
            decided_at=at,
            updated_at=utc(),
        )
        if not approved:
            await _refuse_decided(loan)
        await loan.refresh_from_db()
        await postings.disburse(loan, actor_id=approver_id, at=at)
    return loan


async def reject_loan(
    guild_id: int, loan_id: int, *, actor_id: int, at: datetime, note: str | None = None
) -> Loan:
    """Turn a request down (with an optional reason for the member). Nothing is posted."""
    at = utc(at)
    text = _reason(note)
    loan = await get_loan(guild_id, loan_id)
    rejected = await Loan.filter(id=loan.id, guild_id=guild_id, status=LoanStatus.REQUESTED).update(
        status=LoanStatus.REJECTED,
        decided_by_id=actor_id,
        decided_at=at,
        decision_note=text,
        updated_at=utc(),
    )
    if not rejected:
        await _refuse_decided(loan)
    await loan.refresh_from_db()
    return loan


async def _refuse_decided(loan: Loan) -> None:
    await loan.refresh_from_db(fields=["status"])
    raise InvalidState(f"loan #{loan.id} is {loan.status}, not waiting for a decision")
