"""Overdue loans default after the grace period (once), and forgiveness writes them off."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import InvalidState, NotFound, PermissionDenied
from plugins.economy import ledger
from plugins.economy.models import Transaction
from plugins.loans.defaults import (
    forgive_loan,
    guilds_with_active_loans,
    mark_announced,
    mark_overdue,
    unannounced_defaults,
)
from plugins.loans.lending import issue_loan, request_loan
from plugins.loans.models import Loan, LoanStatus
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from tests.loans.conftest import T0, World
from tests.loans.support import check_books, snapshot

D = Decimal


async def lend(world: World, terms: LoansSettings, amount: str = "1000.00", **kw) -> Loan:
    return await issue_loan(
        world.guild, world.borrower, amount, officer_id=world.treasurer, settings=terms, at=T0, **kw
    )


async def test_defaults_only_after_due_date_plus_grace(world: World, terms: LoansSettings):
    loan = await lend(world, terms)  # due T0 + 30 days, grace 7 days
    await repay(world.guild, loan.id, "250.00", payer_id=world.borrower, at=T0)
    edge = T0 + timedelta(days=37)
    assert await mark_overdue(world.guild, settings=terms, at=edge) == []
    assert (await Loan.get(id=loan.id)).status == LoanStatus.ACTIVE

    late = edge + timedelta(seconds=1)
    [closed] = await mark_overdue(world.guild, settings=terms, at=late)
    assert closed.loan.id == loan.id
    assert (closed.loan.status, closed.loan.defaulted_date) == (LoanStatus.DEFAULTED, late)
    # 250 paid the 100 interest and 150 principal: 850 principal is written off
    assert closed.written_off == D("850.00")
    assert closed.balance.owed == D("850.00")
    assert await ledger.balance(world.guild, ledger.WRITE_OFFS) == D("850.00")
    assert await ledger.balance(world.guild, ledger.loans_receivable(world.borrower)) == 0
    await check_books(world.guild)


async def test_marking_overdue_twice_changes_nothing_more(world: World, terms: LoansSettings):
    await lend(world, terms)
    late = T0 + timedelta(days=60)
    assert len(await mark_overdue(world.guild, settings=terms, at=late)) == 1
    before = await snapshot()
    assert await mark_overdue(world.guild, settings=terms, at=late) == []
    assert await mark_overdue(world.guild, settings=terms, at=late + timedelta(days=9)) == []
    assert await snapshot() == before
    assert await Transaction.filter(guild_id=world.guild, kind="loan_write_off").count() == 1


async def test_without_write_off_a_defaulted_loan_can_still_be_repaid(
    world: World, terms: LoansSettings
):
    keep = terms.model_copy(update={"write_off_on_default": False})
    loan = await lend(world, keep)
    [closed] = await mark_overdue(world.guild, settings=keep, at=T0 + timedelta(days=40))
    assert (closed.loan.status, closed.written_off) == (LoanStatus.DEFAULTED, D("0.00"))
    assert await ledger.balance(world.guild, ledger.loans_receivable(world.borrower)) == D(
        "1000.00"
    )
    await check_books(world.guild)
    done = await repay(world.guild, loan.id, "1100.00", payer_id=world.borrower, at=T0)
    assert done.loan.status == LoanStatus.PAID
    await check_books(world.guild)


async def test_a_written_off_loan_takes_no_payment(world: World, terms: LoansSettings):
    loan = await lend(world, terms)
    await mark_overdue(world.guild, settings=terms, at=T0 + timedelta(days=40))
    before = await snapshot()
    with pytest.raises(InvalidState, match="written off"):
        await repay(world.guild, loan.id, "1.00", payer_id=world.borrower, at=T0)
    assert await snapshot() == before


async def test_only_active_loans_of_the_guild_are_checked(world: World, terms: LoansSettings):
    await request_loan(world.guild, world.member, "10", settings=terms, at=T0)
    paid = await lend(world, terms, "10.00")
    await repay(world.guild, paid.id, "11.00", payer_id=world.borrower, at=T0)
    theirs = await issue_loan(
        world.other_guild, world.stranger, "10", officer_id=world.treasurer, settings=terms, at=T0
    )
    assert await guilds_with_active_loans() == [world.other_guild]
    before = await snapshot()
    assert await mark_overdue(world.guild, settings=terms, at=T0 + timedelta(days=365)) == []
    assert await snapshot() == before
    [closed] = await mark_overdue(world.other_guild, settings=terms, at=T0 + timedelta(days=365))
    assert closed.loan.id == theirs.id
    await check_books(world.guild)
    await check_books(world.other_guild)


async def test_defaults_are_announced_once(world: World, terms: LoansSettings):
    await lend(world, terms)
    await mark_overdue(world.guild, settings=terms, at=T0 + timedelta(days=40))
    [pending] = await unannounced_defaults(world.guild)
    assert pending.written_off == D("1000.00")
    assert await unannounced_defaults(world.other_guild) == []
    assert await mark_announced(world.guild, [pending.loan.id]) == 1
    assert await unannounced_defaults(world.guild) == []


async def test_forgiveness_writes_off_what_is_left(world: World, terms: LoansSettings):
    loan = await lend(world, terms)
    await repay(world.guild, loan.id, "400.00", payer_id=world.borrower, at=T0)
    at = T0 + timedelta(days=5)
    closed = await forgive_loan(world.guild, loan.id, actor_id=world.treasurer, at=at)
    assert (closed.loan.status, closed.loan.forgiven_by_id, closed.loan.forgiven_date) == (
        LoanStatus.FORGIVEN,
        world.treasurer,
        at,
    )
    assert closed.written_off == D("700.00")
    await check_books(world.guild)
    before = await snapshot()
    with pytest.raises(InvalidState, match="is forgiven: only an active or defaulted"):
        await forgive_loan(world.guild, loan.id, actor_id=world.treasurer, at=at)
    assert await snapshot() == before


async def test_forgiving_a_written_off_default_posts_nothing_more(
    world: World, terms: LoansSettings
):
    loan = await lend(world, terms)
    await mark_overdue(world.guild, settings=terms, at=T0 + timedelta(days=40))
    closed = await forgive_loan(world.guild, loan.id, actor_id=world.treasurer, at=T0)
    assert (closed.loan.status, closed.written_off) == (LoanStatus.FORGIVEN, D("0.00"))
    assert await Transaction.filter(guild_id=world.guild, kind="loan_write_off").count() == 1
    await check_books(world.guild)


async def test_forgiveness_refusals_change_nothing(world: World, terms: LoansSettings):
    own = await issue_loan(
        world.guild, world.treasurer, "10", officer_id=world.member, settings=terms, at=T0
    )
    asked = await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0)
    theirs = await issue_loan(
        world.other_guild, world.stranger, "10", officer_id=world.treasurer, settings=terms, at=T0
    )
    before = await snapshot()
    with pytest.raises(PermissionDenied, match="your own loan"):
        await forgive_loan(world.guild, own.id, actor_id=world.treasurer, at=T0)
    with pytest.raises(InvalidState, match="is requested"):
        await forgive_loan(world.guild, asked.id, actor_id=world.treasurer, at=T0)
    with pytest.raises(NotFound):
        await forgive_loan(world.guild, theirs.id, actor_id=world.treasurer, at=T0)
    assert await snapshot() == before


async def test_the_grace_boundary_holds_to_the_microsecond(world: World, terms: LoansSettings):
    issued = T0 + timedelta(microseconds=500_000)
    await issue_loan(
        world.guild, world.borrower, "10", officer_id=world.treasurer, settings=terms, at=issued
    )
    boundary = issued + timedelta(days=37)
    early = boundary - timedelta(microseconds=100_000)
    assert await mark_overdue(world.guild, settings=terms, at=early) == []
    assert await mark_overdue(world.guild, settings=terms, at=boundary) == []
    late = boundary + timedelta(microseconds=1)
    assert len(await mark_overdue(world.guild, settings=terms, at=late)) == 1
