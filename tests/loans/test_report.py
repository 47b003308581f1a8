"""Loans show up in the economy's financial report: issued, repaid, written off, outstanding."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from plugins.economy.reports import finances
from plugins.loans.defaults import forgive_loan, mark_overdue
from plugins.loans.lending import issue_loan, request_loan
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from tests.loans.conftest import T0, World
from tests.loans.support import check_books

D = Decimal


async def test_the_financial_report_reads_every_loan_path(world: World, terms: LoansSettings):
    many = terms.model_copy(update={"max_open_loans": 5})

    async def lend(amount: str, at=T0, term_days: int | None = None):
        return await issue_loan(
            world.guild,
            world.borrower,
            amount,
            officer_id=world.treasurer,
            settings=many,
            at=at,
            term_days=term_days,
        )

    repaid_in_part = await lend("1000.00", term_days=90)
    await repay(world.guild, repaid_in_part.id, "600.00", payer_id=world.borrower, at=T0)
    await lend("500.00", term_days=7)  # defaults below and is written off
    await request_loan(world.guild, world.borrower, "200", settings=many, at=T0)  # never lent
    forgiven = await lend("300.00", term_days=90)
    await repay(world.guild, forgiven.id, "50.00", payer_id=world.borrower, at=T0)
    await forgive_loan(world.guild, forgiven.id, actor_id=world.treasurer, at=T0)
    later = T0 + timedelta(days=20)
    assert len(await mark_overdue(world.guild, settings=many, at=later)) == 1
    await check_books(world.guild)

    report = await finances(world.guild, T0 - timedelta(days=1), later + timedelta(days=1))
    assert report.loans_issued == D("1800.00")
    assert report.loans_repaid == D("520.00")  # principal: 500 + 20
    assert report.interest_income == D("130.00")  # 100 + 30
    assert report.loans_written_off == D("780.00")  # 500 + 280
    assert report.loans_outstanding == D("500.00")
    assert report.treasury_end - report.treasury_start == D("-1150.00")  # 650 in, 1800 out
