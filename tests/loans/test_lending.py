"""Requests, approvals, rejections and direct issues; limits; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from core.errors import InvalidInput, InvalidState, NotFound, PermissionDenied
from core.members import MemberInfo, member_left, upsert_members
from plugins.economy.models import Transaction
from plugins.loans.lending import approve_loan, issue_loan, reject_loan, request_loan
from plugins.loans.models import Loan, LoanStatus
from plugins.loans.repayments import repay
from plugins.loans.settings import LoansSettings
from plugins.loans.statements import balance_of, list_loans, statement
from storage.querycount import count_queries
from tests.loans.conftest import T0, World
from tests.loans.support import check_books, snapshot

D = Decimal


async def test_a_request_fixes_its_terms_and_moves_no_money(world: World, terms: LoansSettings):
    loan = await request_loan(
        world.guild, world.borrower, "12,345.67", settings=terms, at=T0, reason="a Prospector"
    )
    loan = await Loan.get(id=loan.id)
    assert loan.status == LoanStatus.REQUESTED
    assert (loan.amount_auec, loan.interest_rate, loan.interest_auec) == (
        D("12345.67"),
        D("0.1000"),
        D("1234.57"),  # 1234.567 rounds half up
    )
    assert (loan.term_days, loan.reason, loan.issued_date, loan.due_date) == (
        30,
        "a Prospector",
        None,
        None,
    )
    assert await Transaction.filter(guild_id=world.guild).count() == 0
    await check_books(world.guild)


async def test_approval_disburses_from_the_treasury(world: World, terms: LoansSettings):
    asked = await request_loan(world.guild, world.borrower, "5000", settings=terms, at=T0)
    later = T0 + timedelta(hours=3)
    loan = await approve_loan(
        world.guild, asked.id, settings=terms, approver_id=world.treasurer, at=later
    )
    assert loan.status == LoanStatus.ACTIVE
    assert (loan.issued_date, loan.due_date, loan.decided_by_id) == (
        later,
        later + timedelta(days=30),
        world.treasurer,
    )
    tx = await Transaction.get(guild_id=world.guild)
    assert (tx.kind, tx.reference, tx.actor_id) == (
        "loan_disbursement",
        f"loan:{loan.id}:disbursement",
        world.treasurer,
    )
    assert (await balance_of(loan)).owed == D("5500.00")
    await check_books(world.guild)


async def test_nobody_approves_their_own_loan(world: World, terms: LoansSettings):
    asked = await request_loan(world.guild, world.treasurer, "100", settings=terms, at=T0)
    before = await snapshot()
    with pytest.raises(PermissionDenied, match="your own loan"):
        await approve_loan(
            world.guild, asked.id, settings=terms, approver_id=world.treasurer, at=T0
        )
    assert await snapshot() == before


async def test_a_loan_is_approved_once(world: World, terms: LoansSettings):
    asked = await request_loan(world.guild, world.borrower, "100", settings=terms, at=T0)
    await approve_loan(world.guild, asked.id, settings=terms, approver_id=world.treasurer, at=T0)
    before = await snapshot()
    with pytest.raises(InvalidState, match="is active, not waiting for a decision"):
        await approve_loan(world.guild, asked.id, settings=terms, approver_id=world.member, at=T0)
    with pytest.raises(InvalidState, match="is active"):
        await reject_loan(world.guild, asked.id, actor_id=world.member, at=T0)
    assert await snapshot() == before
    await check_books(world.guild)


async def test_rejection_is_final_and_posts_nothing(world: World, terms: LoansSettings):
    asked = await request_loan(world.guild, world.borrower, "100", settings=terms, at=T0)
    loan = await reject_loan(
        world.guild, asked.id, actor_id=world.treasurer, at=T0, note="repay the last one first"
    )
    assert (loan.status, loan.decision_note, loan.decided_by_id) == (
        LoanStatus.REJECTED,
        "repay the last one first",
        world.treasurer,
    )
    before = await snapshot()
    with pytest.raises(InvalidState, match="is rejected"):
        await approve_loan(
            world.guild, asked.id, settings=terms, approver_id=world.treasurer, at=T0
        )
    assert await snapshot() == before
    assert await Transaction.filter(guild_id=world.guild).count() == 0
    # a rejected request no longer counts as open
    await request_loan(world.guild, world.borrower, "100", settings=terms, at=T0)
    await request_loan(world.guild, world.borrower, "100", settings=terms, at=T0)


async def test_an_officer_issues_directly_at_a_rate_they_name(world: World, terms: LoansSettings):
    loan = await issue_loan(
        world.guild,
        world.borrower,
        "2500.50",
        officer_id=world.treasurer,
        settings=terms,
        at=T0,
        term_days=14,
        rate="2.5%",
    )
    assert (loan.status, loan.interest_rate, loan.interest_auec) == (
        LoanStatus.ACTIVE,
        D("0.0250"),
        D("62.51"),  # 62.5125
    )
    assert loan.due_date == T0 + timedelta(days=14)
    assert await Transaction.filter(guild_id=world.guild, kind="loan_disbursement").count() == 1
    await check_books(world.guild)


async def test_an_officer_cannot_lend_to_themselves(world: World, terms: LoansSettings):
    before = await snapshot()
    with pytest.raises(PermissionDenied, match="to yourself"):
        await issue_loan(
            world.guild, world.treasurer, "10", officer_id=world.treasurer, settings=terms, at=T0
        )
    assert await snapshot() == before


async def test_annual_interest_counts_the_days(world: World, terms: LoansSettings):
    annual = terms.model_copy(update={"interest_basis": "annual", "default_rate": D("0.0725")})
    loan = await request_loan(
        world.guild, world.borrower, "1000.01", settings=annual, at=T0, term_days=45
    )
    assert loan.interest_auec == D("8.94")


BAD_AMOUNTS = [
    ("-5", "must not be negative"),
    ("0", "more than zero"),
    ("abc", "is not a number"),
    ("NaN", "is not a number"),
    ("1.234", "more than 2 decimal places"),
    ("1e20", "beyond the largest allowed"),
    ("1000000.01", "more than this server lends at once"),
]


async def test_bad_amounts_are_refused_and_change_nothing(world: World, terms: LoansSettings):
    before = await snapshot()
    for amount, message in BAD_AMOUNTS:
        with pytest.raises(InvalidInput, match=message):
            await request_loan(world.guild, world.borrower, amount, settings=terms, at=T0)
        with pytest.raises(InvalidInput, match=message):
            await issue_loan(
                world.guild,
                world.borrower,
                amount,
                officer_id=world.treasurer,
                settings=terms,
                at=T0,
            )
    assert await snapshot() == before


async def test_limits_on_term_rate_and_reason(world: World, terms: LoansSettings):
    before = await snapshot()
    with pytest.raises(InvalidInput, match="7 to 90 days"):
        await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0, term_days=91)
    with pytest.raises(InvalidInput, match="7 to 90 days"):
        await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0, term_days=0)
    with pytest.raises(InvalidInput, match="more than 4 decimal places"):
        await issue_loan(
            world.guild,
            world.borrower,
            "10",
            officer_id=world.treasurer,
            settings=terms,
            at=T0,
            rate="0.12345",
        )
    with pytest.raises(InvalidInput, match="keep it to 500"):
        await request_loan(
            world.guild, world.borrower, "10", settings=terms, at=T0, reason="x" * 501
        )
    assert await snapshot() == before


async def test_a_rate_above_the_guilds_max_rate_is_refused(world: World, terms: LoansSettings):
    before = await snapshot()
    for rate in ("500%", "1.0001", "5"):
        with pytest.raises(InvalidInput, match=r"more than this server lends at \(at most 100 %\)"):
            await issue_loan(
                world.guild,
                world.borrower,
                "10",
                officer_id=world.treasurer,
                settings=terms,
                at=T0,
                rate=rate,
            )
    assert await snapshot() == before
    at_most = await issue_loan(
        world.guild,
        world.borrower,
        "10",
        officer_id=world.treasurer,
        settings=terms,
        at=T0,
        rate="100%",
    )
    assert at_most.interest_rate == D("1.0000")


async def test_a_guild_may_raise_or_lower_its_max_rate(world: World, terms: LoansSettings):
    usurer = terms.model_copy(update={"max_rate": D("5")})
    loan = await issue_loan(
        world.guild,
        world.borrower,
        "10",
        officer_id=world.treasurer,
        settings=usurer,
        at=T0,
        rate="500%",
    )
    assert (loan.interest_rate, loan.interest_auec) == (D("5.0000"), D("50.00"))
    careful = terms.model_copy(update={"max_rate": D("0.2")})
    with pytest.raises(InvalidInput, match=r"at most 20 %"):
        await issue_loan(
            world.guild,
            world.borrower,
            "10",
            officer_id=world.treasurer,
            settings=careful,
            at=T0,
            rate="25%",
        )


async def test_principal_and_interest_must_fit_the_column(world: World):
    greedy = LoansSettings(max_amount="9999999999999.99", default_rate="9.9999", max_rate="9.9999")
    before = await snapshot()
    with pytest.raises(InvalidInput, match="exceed the largest amount"):
        await request_loan(world.guild, world.borrower, "9000000000000", settings=greedy, at=T0)
    assert await snapshot() == before


async def test_open_loans_are_limited_per_member(world: World, terms: LoansSettings):
    await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0)
    await issue_loan(
        world.guild, world.borrower, "10", officer_id=world.treasurer, settings=terms, at=T0
    )
    before = await snapshot()
    with pytest.raises(InvalidState, match="already has 2 open loan"):
        await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0)
    with pytest.raises(InvalidState, match="this server allows 2"):
        await issue_loan(
            world.guild, world.borrower, "10", officer_id=world.treasurer, settings=terms, at=T0
        )
    assert await snapshot() == before
    # another member is not held back by the borrower's loans
    await request_loan(world.guild, world.member, "10", settings=terms, at=T0)


async def test_only_org_members_borrow_unless_configured(world: World, terms: LoansSettings):
    before = await snapshot()
    with pytest.raises(PermissionDenied, match="only org members may borrow"):
        await request_loan(world.guild, world.outsider, "10", settings=terms, at=T0)
    assert await snapshot() == before
    anyone = terms.model_copy(update={"members_only": False})
    loan = await request_loan(world.guild, world.outsider, "10", settings=anyone, at=T0)
    assert loan.status == LoanStatus.REQUESTED


async def test_borrowers_must_belong_to_the_guild(world: World, terms: LoansSettings):
    before = await snapshot()
    with pytest.raises(NotFound, match="not a member of this server"):
        await request_loan(world.guild, world.stranger, "10", settings=terms, at=T0)
    with pytest.raises(NotFound, match="not a member of this server"):
        await issue_loan(world.guild, 999, "10", officer_id=world.treasurer, settings=terms, at=T0)
    assert await snapshot() == before


async def test_another_guilds_loan_is_not_found(world: World, terms: LoansSettings):
    ours = await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0)
    theirs = await request_loan(world.other_guild, world.stranger, "10", settings=terms, at=T0)
    before = await snapshot()
    for loan_id in (theirs.id, 2**31, 0, -1, 10**18):
        with pytest.raises(NotFound, match=f"no loan #{loan_id} in this server"):
            await approve_loan(
                world.guild, loan_id, settings=terms, approver_id=world.treasurer, at=T0
            )
        with pytest.raises(NotFound):
            await reject_loan(world.guild, loan_id, actor_id=world.treasurer, at=T0)
        with pytest.raises(NotFound):
            await statement(world.guild, loan_id, grace_days=7)
    assert await snapshot() == before
    assert [loan.id for loan, _ in await list_loans(world.guild)] == [ours.id]
    assert [loan.id for loan, _ in await list_loans(world.other_guild)] == [theirs.id]


async def test_lists_filter_by_member_and_status(world: World, terms: LoansSettings):
    first = await request_loan(world.guild, world.borrower, "10", settings=terms, at=T0)
    second = await issue_loan(
        world.guild, world.member, "20", officer_id=world.treasurer, settings=terms, at=T0
    )
    assert [loan.id for loan, _ in await list_loans(world.guild)] == [second.id, first.id]
    mine = await list_loans(world.guild, borrower_id=world.borrower)
    assert [loan.id for loan, _ in mine] == [first.id]
    active = await list_loans(world.guild, status="active")
    assert [(loan.id, balance.owed) for loan, balance in active] == [(second.id, D("22.00"))]
    with pytest.raises(InvalidInput, match="unknown loan status 'late'"):
        await list_loans(world.guild, status="late")


async def test_approval_rechecks_the_borrower_is_still_in_the_org(
    world: World, terms: LoansSettings
):
    asked = await request_loan(world.guild, world.borrower, "100", settings=terms, at=T0)
    await upsert_members(world.guild, [MemberInfo(world.borrower, "borrower", None)])
    before = await snapshot()
    with pytest.raises(PermissionDenied, match="only org members may borrow"):
        await approve_loan(
            world.guild, asked.id, settings=terms, approver_id=world.treasurer, at=T0
        )
    await member_left(world.guild, world.borrower)
    with pytest.raises(NotFound, match="not a member of this server"):
        await approve_loan(
            world.guild, asked.id, settings=terms, approver_id=world.treasurer, at=T0
        )
    assert await snapshot() == before


async def test_listing_costs_the_same_few_queries_for_any_number_of_loans(
    world: World, terms: LoansSettings
):
    many = terms.model_copy(update={"max_open_loans": 50})
    for _ in range(12):
        loan = await issue_loan(
            world.guild, world.borrower, "10", officer_id=world.treasurer, settings=many, at=T0
        )
        await repay(world.guild, loan.id, "1", payer_id=world.borrower, at=T0)
    with count_queries() as queries:
        listed = await list_loans(world.guild)
    assert len(listed) == 12 and all(b.owed == D("10.00") for _, b in listed)
    assert len(queries) == 2  # the loans, then all their repayments at once
