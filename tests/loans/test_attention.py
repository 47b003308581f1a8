"""The guild home's attention items: from every plugin that is on, for the caller's level."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from core.permissions import Level
from core.web.attention import gather
from plugins.economy import ledger
from plugins.economy.ledger import INCOME, TREASURY, Line, TxKind
from plugins.loans.lending import issue_loan, request_loan
from plugins.loans.settings import LoansSettings
from tests.conftest import builtin_plugins
from tests.loans.conftest import T0, World

HOSTILE_AMOUNT = Decimal("12345.67")


async def _seen(level: Level, *, at, enabled=lambda name: True) -> list[tuple[str, str, str]]:
    manager = builtin_plugins()
    found = await gather(manager, World.guild, level=level, now=at, enabled=enabled)
    return [(p.plugin, p.item.kind, p.item.text) for p in found]


async def test_each_level_sees_what_is_for_it(world: World, terms: LoansSettings):
    await ledger.post(
        world.guild,
        kind=TxKind.SALE,
        memo="ore",
        lines=[Line(TREASURY, HOSTILE_AMOUNT), Line(INCOME, -HOSTILE_AMOUNT)],
        at=T0,
    )
    await request_loan(world.guild, world.borrower, "100", settings=terms, at=T0)
    await issue_loan(
        world.guild, world.member, "200", officer_id=world.treasurer, settings=terms, at=T0
    )
    late = T0 + timedelta(days=terms.default_term_days + 1)
    treasury = ("economy", "treasury", "The treasury holds 12,145.67 aUEC.")
    overdue = ("loans", "loans_overdue", "1 loan past due, in their grace period.")
    requests = ("loans", "loan_requests", "1 loan request waits for a decision.")
    assert await _seen(Level.MEMBER, at=late) == []
    assert await _seen(Level.OFFICER, at=late) == [treasury, overdue]
    assert await _seen(Level.TREASURER, at=late) == [treasury, requests, overdue]
    assert await _seen(Level.TREASURER, at=late, enabled=lambda n: n != "loans") == [treasury]


async def test_nothing_waiting_is_only_the_treasury(world: World):
    assert await _seen(Level.ADMIN, at=T0) == [
        ("economy", "treasury", "The treasury holds 0.00 aUEC.")
    ]
