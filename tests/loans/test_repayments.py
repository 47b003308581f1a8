"""Repayments: interest first, exact to the cent, refused beyond what is owed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from plugins.economy import ledger
from plugins.economy.models import Transaction
from plugins.loans.lending import issue_loan, request_loan
from plugins.loans.models import Loan, LoanRepayment, LoanStatus
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from plugins.loans.statements import statement
from tests.loans.conftest import T0, World
from tests.loans.support import check_books, snapshot

D = Decimal


async def lend(world: World, terms: LoansSettings, amount: str = "1000.00", **kw) -> Loan:
    return await issue_loan(
        world.guild, world.borrower, amount, officer_id=world.treasurer, settings=terms, at=T0, **kw
    )


async def test_partial_payments_then_full_repayment(world: World, terms: LoansSettings):
    loan = await lend(world, terms, "333.33", rate="0.0333")  # interest 11.10, owed 344.43
    first = await repay(world.guild, loan.id, "5.55", payer_id=world.borrower, at=T0)
    assert (first.payment.interest_auec, first.payment.principal_auec) == (D("5.55"), D("0.00"))
    assert first.balance.owed == D("338.88")
    await check_books(world.guild)

    second = await repay(world.guild, loan.id, "100.01", payer_id=world.borrower, at=T0)
    assert (second.payment.interest_auec, second.payment.principal_auec) == (
        D("5.55"),
        D("94.46"),
    )
    assert second.balance.owed == D("238.87")
    assert second.loan.status == LoanStatus.ACTIVE
    assert await ledger.balance(world.guild, ledger.loans_receivable(world.borrower)) == D("238.87")
    await check_books(world.guild)

    paid_at = T0 + timedelta(days=3)
    last = await repay(world.guild, loan.id, "238.87", payer_id=world.borrower, at=paid_at)
    assert last.balance.owed == 0
    assert (last.loan.status, last.loan.paid_date) == (LoanStatus.PAID, paid_at)
    assert await ledger.balance(world.guild, ledger.INTEREST_INCOME) == D("-11.10")
    assert await ledger.balance(world.guild, ledger.TREASURY) == D("11.10")
    assert await Transaction.filter(guild_id=world.guild, kind="loan_repayment").count() == 3
    await check_books(world.guild)

    before = await snapshot()
    with pytest.raises(InvalidState, match="is paid: there is nothing to repay"):
        await repay(world.guild, loan.id, "0.01", payer_id=world.borrower, at=paid_at)
    assert await snapshot() == before


async def test_overpayment_is_refused_with_the_exact_amount_left(
    world: World, terms: LoansSettings
):
    loan = await lend(world, terms, "1000.00")  # owed 1100.00
    await repay(world.guild, loan.id, "99.99", payer_id=world.borrower, at=T0)
    before = await snapshot()
    with pytest.raises(InvalidInput, match=r"left to repay on loan #\d+: pay at most 1,000\.01"):
        await repay(world.guild, loan.id, "1000.02", payer_id=world.borrower, at=T0)
    assert await snapshot() == before
    done = await repay(world.guild, loan.id, "1000.01", payer_id=world.borrower, at=T0)
    assert done.loan.status == LoanStatus.PAID
    await check_books(world.guild)


async def test_a_zero_interest_loan_is_all_principal(world: World, terms: LoansSettings):
    loan = await lend(world, terms, "50.00", rate="0")
    paid = await repay(world.guild, loan.id, "50.00", payer_id=world.borrower, at=T0)
    assert (paid.payment.interest_auec, paid.payment.principal_auec) == (D("0.00"), D("50.00"))
    assert paid.loan.status == LoanStatus.PAID
    await check_books(world.guild)


async def test_a_treasurer_records_payments_for_the_borrower(world: World, terms: LoansSettings):
    loan = await lend(world, terms)
    before = await snapshot()
    with pytest.raises(PermissionDenied, match="only they or a treasurer"):
        await repay(world.guild, loan.id, "10", payer_id=world.member, at=T0)
    assert await snapshot() == before
    done = await repay(world.guild, loan.id, "10", payer_id=world.treasurer, at=T0, for_others=True)
    assert done.payment.recorded_by_id == world.treasurer
    tx = await Transaction.get(guild_id=world.guild, kind="loan_repayment")
    assert (tx.actor_id, tx.reference) == (
        world.treasurer,
        f"loan:{loan.id}:repayment:{done.payment.id}",
    )
    await check_books(world.guild)


async def test_bad_amounts_change_nothing(world: World, terms: LoansSettings):
    loan = await lend(world, terms)
    before = await snapshot()
    for amount, message in [
        ("0", "more than zero"),
        ("-1", "negative"),
        ("ten", "not a number"),
        ("0.001", "2 decimal"),
        ("1e300", "beyond the largest allowed"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            await repay(world.guild, loan.id, amount, payer_id=world.borrower, at=T0)
    assert await snapshot() == before


async def test_requested_loans_and_other_guilds_loans_take_no_payment(
    world: World, terms: LoansSettings
):
    asked = await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0)
    theirs = await issue_loan(
        world.other_guild,
        world.stranger,
        "10",
        officer_id=world.treasurer,
        settings=terms,
        at=T0,
    )
    before = await snapshot()
    with pytest.raises(InvalidState, match="is requested"):
        await repay(world.guild, asked.id, "1", payer_id=world.borrower, at=T0)
    with pytest.raises(NotFound, match=f"no loan #{theirs.id} in this server"):
        await repay(world.guild, theirs.id, "1", payer_id=world.stranger, at=T0, for_others=True)
    assert await snapshot() == before


async def test_statement_shows_schedule_and_payments(world: World, terms: LoansSettings):
    loan = await lend(world, terms, "200.00")
    await repay(world.guild, loan.id, "30.00", payer_id=world.borrower, at=T0 + timedelta(days=1))
    await repay(world.guild, loan.id, "40.00", payer_id=world.borrower, at=T0 + timedelta(days=2))
    shown = await statement(world.guild, loan.id, grace_days=terms.grace_days)
    assert [p.amount_auec for p in shown.repayments] == [D("30.00"), D("40.00")]
    assert (shown.balance.owed, shown.balance.receivable) == (D("150.00"), D("150.00"))
    assert shown.grace_until == T0 + timedelta(days=37)
    assert await LoanRepayment.filter(guild_id=world.guild).count() == 2
