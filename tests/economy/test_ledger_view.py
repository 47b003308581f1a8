"""Browsing the ledger: filters by account, kind and days, pages newest first, guilds apart."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from core.errors import InvalidInput
from plugins.economy import ledger
from plugins.economy.ledger import EXPENSES, INCOME, TREASURY, AccountKind, Line, TxKind, member
from plugins.economy.ledger_view import (
    LedgerFilter,
    day_bounds,
    ledger_page,
    parse_account,
    parse_kind,
    parse_page,
)
from storage.querycount import count_queries
from tests.economy.conftest import ALICE, BOB, GUILD, MALLORY, OTHER_GUILD, T0

D = Decimal
HOSTILE = "<script>alert(1)</script> @everyone"


async def _sales(count: int, guild_id: int = GUILD) -> None:
    for i in range(count):
        await ledger.post(
            guild_id,
            kind=TxKind.SALE,
            memo=f"sale {i}",
            lines=[Line(TREASURY, D(100 + i)), Line(INCOME, D(-100 - i))],
            at=T0 + timedelta(days=i),
        )


async def test_pages_come_newest_first_and_count_every_match(guilds):
    await _sales(7)
    first = await ledger_page(GUILD, LedgerFilter(account=TREASURY), per_page=3)
    assert first.total == 7 and first.pages == 3
    assert [r.memo for r in first.rows] == ["sale 6", "sale 5", "sale 4"]
    assert (first.has_previous, first.has_next) == (False, True)
    last = await ledger_page(GUILD, LedgerFilter(account=TREASURY), page=3, per_page=3)
    assert [r.memo for r in last.rows] == ["sale 0"]
    assert (last.has_previous, last.has_next) == (True, False)
    beyond = await ledger_page(GUILD, LedgerFilter(account=TREASURY), page=9, per_page=3)
    assert beyond.rows == () and beyond.total == 7
    every = await ledger_page(GUILD, LedgerFilter())
    assert every.total == 14  # both sides of every sale
    assert {r.account.kind for r in every.rows} == {AccountKind.TREASURY, AccountKind.INCOME}


async def test_filters_by_kind_account_member_and_days(guilds):
    await _sales(3)
    await ledger.post(
        GUILD,
        kind=TxKind.PAYROLL,
        memo=HOSTILE,
        lines=[Line(EXPENSES, D("50")), Line(member(ALICE), D("-30")), Line(member(BOB), D("-20"))],
        at=T0 + timedelta(days=1, hours=3),
    )
    payroll = await ledger_page(GUILD, LedgerFilter(kind=TxKind.PAYROLL))
    assert payroll.total == 3 and {r.memo for r in payroll.rows} == {HOSTILE}
    alice = await ledger_page(GUILD, LedgerFilter(account=member(ALICE)))
    assert [(r.amount, r.member_name) for r in alice.rows] == [(D("-30.00"), "Alice")]
    since, before = day_bounds(date(2026, 1, 5), date(2026, 1, 5))
    day = await ledger_page(GUILD, LedgerFilter(account=TREASURY, since=since, before=before))
    assert [r.memo for r in day.rows] == ["sale 1"]
    since, _ = day_bounds(date(2026, 1, 6), None)
    later = await ledger_page(GUILD, LedgerFilter(since=since))
    assert {r.memo for r in later.rows} == {"sale 2"}
    _, before = day_bounds(None, date(2026, 1, 4))
    earlier = await ledger_page(GUILD, LedgerFilter(before=before))
    assert {r.memo for r in earlier.rows} == {"sale 0"}


async def test_another_guilds_entries_never_show(guilds):
    await _sales(2)
    await _sales(3, OTHER_GUILD)
    await ledger.post(
        OTHER_GUILD,
        kind=TxKind.PAYOUT,
        memo="x",
        lines=[Line(member(MALLORY), D("5")), Line(TREASURY, D("-5"))],
        at=T0,
    )
    page = await ledger_page(GUILD, LedgerFilter())
    assert page.total == 4
    assert await ledger_page(GUILD, LedgerFilter(account=member(MALLORY))) == type(page)(
        (), 1, 50, 0
    )


async def test_a_page_costs_two_queries_whatever_the_ledger_holds(guilds):
    await _sales(3)
    with count_queries() as small:
        await ledger_page(GUILD, LedgerFilter(), per_page=2)
    await _sales(30)
    with count_queries() as large:
        await ledger_page(GUILD, LedgerFilter(), per_page=2)
    assert len(small) == len(large) == 2


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_kind("bribe"), "unknown transaction kind 'bribe'"),
        (lambda: parse_account("vault"), "unknown account 'vault'"),
        (lambda: parse_account("member"), "choose the member"),
        (lambda: parse_page("0"), "not a page number"),
        (lambda: parse_page("-1"), "not a page number"),
        (lambda: parse_page("two"), "not a page number"),
        (lambda: parse_page("²"), "not a page number"),
        (lambda: parse_page("9" * 30), "not a page number"),
        (lambda: day_bounds(date(2026, 2, 1), date(2026, 1, 1)), "starts"),
    ],
)
def test_bad_filters_are_refused_by_name(call, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        call()


def test_empty_filters_mean_everything() -> None:
    assert parse_kind("") is None and parse_account(" ") is None and parse_page(None) == 1
    assert parse_kind(" Payroll ") is TxKind.PAYROLL
    assert parse_account("member", ALICE) == member(ALICE)
    assert parse_account("treasury", ALICE) == TREASURY
    assert day_bounds(None, None) == (None, None)


async def test_bad_paging_is_refused(guilds):
    with pytest.raises(InvalidInput, match="start at 1"):
        await ledger_page(GUILD, LedgerFilter(), page=0)
    with pytest.raises(InvalidInput, match="1 to 200"):
        await ledger_page(GUILD, LedgerFilter(), per_page=500)


async def test_member_positions_name_everyone_with_an_account_in_two_queries(guilds):
    from plugins.economy.ledger import loans_receivable
    from plugins.economy.statements import member_positions

    await ledger.post(
        GUILD,
        kind=TxKind.PAYROLL,
        memo="shares",
        lines=[Line(EXPENSES, D("50")), Line(member(ALICE), D("-30")), Line(member(BOB), D("-20"))],
        at=T0,
    )
    await ledger.post(
        GUILD,
        kind=TxKind.LOAN_DISBURSEMENT,
        memo="loan",
        lines=[Line(loans_receivable(BOB), D("70")), Line(TREASURY, D("-70"))],
        at=T0,
    )
    await ledger.post(
        OTHER_GUILD,
        kind=TxKind.PAYOUT,
        memo="x",
        lines=[Line(member(MALLORY), D("5")), Line(TREASURY, D("-5"))],
        at=T0,
    )
    with count_queries() as queries:
        found = await member_positions(GUILD)
    assert len(queries) == 2
    assert [(n.name, n.position.owed_to_member, n.position.loans) for n in found] == [
        ("Alice", D("30.00"), D("0.00")),
        ("Bob", D("20.00"), D("70.00")),
    ]
