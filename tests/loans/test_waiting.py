"""What waits for a treasurer in a guild's loans: requests, overdue and defaulted loans."""

from __future__ import annotations

from datetime import timedelta

from plugins.loans.defaults import mark_overdue
from plugins.loans.lending import issue_loan, request_loan
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from plugins.loans.statements import Waiting, list_loans, waiting
from tests.loans.conftest import T0, World


async def test_counts_requests_overdue_and_defaulted_loans(world: World, terms: LoansSettings):
    assert await waiting(world.guild, at=T0) == Waiting(0, 0, 0)
    await request_loan(world.guild, world.borrower, "100", settings=terms, at=T0)
    late = await issue_loan(
        world.guild, world.member, "200", officer_id=world.treasurer, settings=terms, at=T0
    )
    paid = await issue_loan(
        world.guild, world.borrower, "50", officer_id=world.treasurer, settings=terms, at=T0
    )
    await repay(world.guild, paid.id, "55", payer_id=world.borrower, at=T0 + timedelta(days=1))
    due = T0 + timedelta(days=terms.default_term_days)
    assert await waiting(world.guild, at=due) == Waiting(1, 0, 0)  # due now, not yet late
    later = due + timedelta(days=1)
    assert await waiting(world.guild, at=later) == Waiting(1, 1, 0)
    assert [loan.id for loan, _ in await list_loans(world.guild, overdue_at=later)] == [late.id]
    assert await list_loans(world.guild, overdue_at=due) == []
    past_grace = due + timedelta(days=terms.grace_days, seconds=1)
    await mark_overdue(world.guild, settings=terms, at=past_grace)
    assert await waiting(world.guild, at=past_grace) == Waiting(1, 0, 1)
    # another guild's loans count for nothing here
    assert await waiting(world.other_guild, at=past_grace) == Waiting(0, 0, 0)
