"""Officers clicking at the same moment on PostgreSQL: money moves once, never past owed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import InvalidInput, InvalidState, UserError
from plugins.economy.models import Transaction
from plugins.loans.defaults import forgive_loan, mark_overdue
from plugins.loans.lending import approve_loan, issue_loan, request_loan
from plugins.loans.models import Loan, LoanRepayment, LoanStatus
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from tests.loans.conftest import T0, World
from tests.loans.support import check_books

pytestmark = pytest.mark.postgres_only
D = Decimal


def outcomes(results: list[object]) -> tuple[list[object], list[BaseException]]:
    errors = [r for r in results if isinstance(r, BaseException)]
    for error in errors:
        if not isinstance(error, UserError):
            raise error
    return [r for r in results if not isinstance(r, BaseException)], errors


async def test_concurrent_repayments_never_exceed_what_is_owed(world: World, terms: LoansSettings):
    loan = await issue_loan(
        world.guild, world.borrower, "1000.00", officer_id=world.treasurer, settings=terms, at=T0
    )  # owed 1100.00: three payments of 330 fit, the fourth and fifth do not
    results = await asyncio.gather(
        *(repay(world.guild, loan.id, "330.00", payer_id=world.borrower, at=T0) for _ in range(5)),
        return_exceptions=True,
    )
    done, refused = outcomes(results)
    assert len(done) == 3
    assert all(isinstance(e, InvalidInput) and "more than the" in e.message for e in refused)
    paid = [
        Decimal(str(a))
        for a in await LoanRepayment.filter(loan_id=loan.id).values_list("amount_auec", flat=True)
    ]
    assert sum(paid) == D("990.00")
    assert await Transaction.filter(guild_id=world.guild, kind="loan_repayment").count() == 3
    await check_books(world.guild)


async def test_concurrent_full_repayments_pay_once(world: World, terms: LoansSettings):
    loan = await issue_loan(
        world.guild, world.borrower, "500.00", officer_id=world.treasurer, settings=terms, at=T0
    )
    results = await asyncio.gather(
        repay(world.guild, loan.id, "550.00", payer_id=world.borrower, at=T0),
        repay(world.guild, loan.id, "550.00", payer_id=world.treasurer, at=T0, for_others=True),
        return_exceptions=True,
    )
    done, refused = outcomes(results)
    assert len(done) == 1 and len(refused) == 1
    assert isinstance(refused[0], InvalidState) and "is paid" in refused[0].message
    assert (await Loan.get(id=loan.id)).status == LoanStatus.PAID
    await check_books(world.guild)


async def test_a_loan_is_approved_and_disbursed_once(world: World, terms: LoansSettings):
    asked = await request_loan(world.guild, world.borrower, "700", settings=terms, at=T0)
    approvers = [world.treasurer, world.member, 31, 32, 33]
    results = await asyncio.gather(
        *(
            approve_loan(world.guild, asked.id, settings=terms, approver_id=a, at=T0)
            for a in approvers
        ),
        return_exceptions=True,
    )
    done, refused = outcomes(results)
    assert len(done) == 1 and len(refused) == 4
    assert all(isinstance(e, InvalidState) for e in refused)
    assert await Transaction.filter(guild_id=world.guild, kind="loan_disbursement").count() == 1
    await check_books(world.guild)


async def test_concurrent_requests_respect_the_open_loan_limit(world: World, terms: LoansSettings):
    results = await asyncio.gather(
        *(request_loan(world.guild, world.borrower, "10", settings=terms, at=T0) for _ in range(6)),
        return_exceptions=True,
    )
    done, refused = outcomes(results)
    assert len(done) == terms.max_open_loans == 2
    assert len(refused) == 4
    assert await Loan.filter(guild_id=world.guild, borrower_id=world.borrower).count() == 2


async def test_default_check_and_forgiveness_at_once_write_off_once(
    world: World, terms: LoansSettings
):
    loan = await issue_loan(
        world.guild, world.borrower, "800.00", officer_id=world.treasurer, settings=terms, at=T0
    )
    late = T0 + timedelta(days=50)
    results = await asyncio.gather(
        mark_overdue(world.guild, settings=terms, at=late),
        mark_overdue(world.guild, settings=terms, at=late),
        forgive_loan(world.guild, loan.id, actor_id=world.treasurer, at=late),
        return_exceptions=True,
    )
    outcomes(results)
    assert await Transaction.filter(guild_id=world.guild, kind="loan_write_off").count() == 1
    assert (await Loan.get(id=loan.id)).written_off_auec == D("800.00")
    await check_books(world.guild)
