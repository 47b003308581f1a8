"""Payroll: exact splits, expenses repaid, org cut, donations, once only, fixed query count."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import members
from core.errors import InvalidInput, InvalidState, NotFound
from plugins.economy import ledger
from plugins.economy.models import Transaction
from plugins.mining import events, expenses, payroll, yields
from plugins.mining.models import MiningEvent, MiningPayout, MiningYield, PayrollMode
from plugins.mining.participants import Participant
from plugins.mining.settings import MiningSettings
from plugins.mining.yields import YieldInput
from storage.querycount import count_queries
from tests.mining.conftest import (
    ALICE,
    BOB,
    CARA,
    DAN,
    EVE,
    GUILD,
    OTHER_GUILD,
    REFINERY,
    ROCKS,
    at,
)

D = Decimal
RULES = MiningSettings(org_cut_percent=D("10"), min_minutes_to_qualify=0)


async def completed_event(voice, stays: dict[int, float], value: str = "1000.00") -> int:
    """A completed event in which each member stayed the given minutes from the start."""
    event = await events.create_event(GUILD, at=at())
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    for user in stays:
        await voice(user, None, ROCKS, 0)
    for user, minutes in stays.items():
        await voice(user, ROCKS, None, minutes)
    await events.stop_event(GUILD, event.id, at=at(max(stays.values(), default=0) + 1))
    if D(value) > 0:
        await yields.add_yields(GUILD, event.id, [YieldInput("Gold", "1", value=value)])
    return event.id


async def snapshot() -> tuple:
    payouts = await MiningPayout.all().order_by("id").values_list("user_id", "amount_auec")
    flags = await MiningEvent.all().order_by("id").values_list("id", "payroll_processed")
    return (
        [(u, str(a)) for u, a in payouts],
        flags,
        await Transaction.all().count(),
        await MiningYield.all().count(),
    )


def people(*spec: tuple[int, int]) -> list[Participant]:
    return [
        Participant(
            user_id=uid,
            name=str(uid),
            seconds=seconds,
            sessions=1,
            is_org_member=True,
            in_channel=False,
        )
        for uid, seconds in spec
    ]


def compute(**kwargs):
    base = {
        "event_id": 1,
        "event_name": "Op",
        "gross": D("1000.00"),
        "expenses": [],
        "people": people((ALICE, 3600), (BOB, 1800), (CARA, 600)),
        "donors": set(),
        "mode": PayrollMode.TIME,
        "org_cut_percent": D("10"),
        "min_seconds": 0,
    }
    return payroll.compute(**{**base, **kwargs})


def amounts(result: payroll.Payroll) -> dict[int, Decimal]:
    return {s.user_id: s.amount for s in result.shares}


# -- the rules (pure) --------------------------------------------------------------------------


def test_time_weighted_split_after_expenses_and_org_cut():
    result = compute(expenses=[(BOB, D("100.00"))])
    assert (result.expenses, result.org_cut, result.pot) == (D("100.00"), D("90.00"), D("810.00"))
    # 60 : 30 : 10 minutes of 810.00; Bob also gets his 100.00 back
    assert amounts(result) == {ALICE: D("486.00"), BOB: D("343.00"), CARA: D("81.00")}
    assert result.paid_out + result.org_cut == result.gross


def test_equal_shares():
    result = compute(mode=PayrollMode.EQUAL)
    assert amounts(result) == {ALICE: D("300.00"), BOB: D("300.00"), CARA: D("300.00")}


def test_awkward_amounts_add_up_to_the_cent():
    result = compute(gross=D("1000.01"), org_cut_percent=D("7.5"), mode=PayrollMode.EQUAL)
    # net 1000.01, cut 75.00 (75.00075 rounded), pot 925.01 over three: one extra cent
    assert result.org_cut == D("75.00")
    assert sorted(amounts(result).values()) == [D("308.33"), D("308.34"), D("308.34")]
    assert sum(amounts(result).values()) == result.pot == D("925.01")


def test_minimum_time_to_qualify():
    result = compute(min_seconds=900)
    assert [(s.user_id, s.qualified, s.amount) for s in result.shares] == [
        (ALICE, True, D("600.00")),
        (BOB, True, D("300.00")),
        (CARA, False, D("0.00")),
    ]


def test_donated_share_goes_to_the_others():
    result = compute(donors={ALICE})
    assert amounts(result) == {ALICE: D("0.00"), BOB: D("675.00"), CARA: D("225.00")}
    assert next(s for s in result.shares if s.user_id == ALICE).donated


def test_when_everyone_donates_the_org_keeps_the_pot():
    result = compute(donors={ALICE, BOB, CARA})
    assert result.pot == 0 and result.org_cut == D("1000.00")
    assert set(amounts(result).values()) == {D("0.00")}


def test_payer_who_took_no_part_is_repaid():
    result = compute(expenses=[(DAN, D("250.00"))], people=people((ALICE, 60)))
    assert amounts(result) == {ALICE: D("675.00"), DAN: D("250.00")}


def test_expenses_above_the_value_are_refused():
    with pytest.raises(InvalidState, match=r"Expenses \(1,000.01\) are more than"):
        compute(expenses=[(BOB, D("1000.01"))])


@settings(max_examples=200, deadline=None)
@given(
    gross=st.decimals(min_value=0, max_value=10**9, places=2),
    cut=st.decimals(min_value=0, max_value=100, places=2),
    seconds=st.lists(st.integers(0, 20_000), min_size=0, max_size=30),
    expense=st.decimals(min_value=0, max_value=10**6, places=2),
    equal=st.booleans(),
)
def test_everything_adds_up_to_the_gross(gross, cut, seconds, expense, equal):
    expense = min(expense, gross)
    result = compute(
        gross=gross,
        org_cut_percent=cut,
        expenses=[(DAN, expense)] if expense else [],
        people=people(*((1000 + i, s) for i, s in enumerate(seconds))),
        mode=PayrollMode.EQUAL if equal else PayrollMode.TIME,
        min_seconds=60,
    )
    assert result.paid_out + result.org_cut == gross
    assert all(s.amount >= 0 and s.amount == s.amount.quantize(D("0.01")) for s in result.shares)
    assert sum(s.share for s in result.shares) == result.pot


# -- against the database ----------------------------------------------------------------------


async def test_payroll_counts_time_with_the_rule_in_force_when_the_event_ended(world, voice):
    """Preview and commit read the times frozen at stop, not today's minimum session."""
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 0)
    await voice(BOB, ROCKS, None, 0.75)  # 45 s
    await events.stop_event(GUILD, event.id, at=at(15), min_session_seconds=30)
    await yields.add_yields(GUILD, event.id, [YieldInput("Gold", "1", value="1000.00")])
    stricter = RULES.model_copy(update={"min_session_seconds": 60})

    preview = await payroll.preview(GUILD, event.id, settings=stricter, now=at(100))
    committed = await payroll.commit(GUILD, event.id, settings=stricter, at=at(100))

    # pot 900.00 split 900 s : 45 s
    expected = {ALICE: D("857.14"), BOB: D("42.86")}
    assert amounts(preview) == amounts(committed) == expected


async def test_preview_shows_and_writes_nothing(world, voice):
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30, CARA: 10})
    await expenses.add_expense(GUILD, event_id, amount="100", paid_by=BOB, kind="refinery")
    before = await snapshot()
    result = await payroll.preview(GUILD, event_id, settings=RULES, now=at(200))
    assert amounts(result) == {ALICE: D("486.00"), BOB: D("343.00"), CARA: D("81.00")}
    assert not result.committed
    assert await snapshot() == before


async def test_commit_writes_payouts_flags_and_one_ledger_transaction(world, voice):
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30, CARA: 10})
    await expenses.add_expense(GUILD, event_id, amount="100", paid_by=BOB)
    result = await payroll.commit(GUILD, event_id, settings=RULES, at=at(200), actor_id=DAN)
    assert result.committed
    event = await events.get_event(GUILD, event_id)
    assert event.payroll_processed and event.payroll_mode == "time"
    assert (D(event.org_cut_auec), D(event.org_cut_percent)) == (D("90.00"), D("10.00"))
    rows = await payroll.payouts(GUILD, event_id)
    assert [(p.user_id, p.share, p.reimbursed, p.amount, p.status) for p in rows] == [
        (ALICE, D("486.00"), D("0.00"), D("486.00"), "owed"),
        (BOB, D("243.00"), D("100.00"), D("343.00"), "owed"),
        (CARA, D("81.00"), D("0.00"), D("81.00"), "owed"),
    ]
    tx = await Transaction.get(reference=f"mining:event:{event_id}:payroll")
    assert (tx.kind, tx.guild_id, tx.actor_id) == ("payroll", GUILD, DAN)
    assert await ledger.balance(GUILD, ledger.TREASURY) == D("1000.00")
    # the org keeps 90 (its cut) + 100 (what it bore for Bob's expense), spent on that expense
    assert await ledger.balance(GUILD, ledger.INCOME) == D("-190.00")
    assert await ledger.balance(GUILD, ledger.EXPENSES) == D("100.00")
    assert await ledger.balance(GUILD, ledger.member(BOB)) == D("-343.00")
    # the committed payroll reads back the same
    again = await payroll.preview(GUILD, event_id, settings=RULES, now=at(300))
    assert amounts(again) == amounts(result) and again.committed


async def test_payroll_mode_option_overrides_config(world, voice):
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30})
    result = await payroll.commit(GUILD, event_id, settings=RULES, at=at(200), mode="equal")
    assert amounts(result) == {ALICE: D("450.00"), BOB: D("450.00")}
    assert (await events.get_event(GUILD, event_id)).payroll_mode == "equal"


async def test_donation_is_honoured_at_commit(world, voice):
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30})
    assert await payroll.set_donation(GUILD, event_id, ALICE, True)
    await payroll.set_donation(GUILD, event_id, ALICE, True)  # twice is still one
    result = await payroll.commit(GUILD, event_id, settings=RULES, at=at(200))
    assert amounts(result) == {ALICE: D("0.00"), BOB: D("900.00")}
    rows = {p.user_id: p for p in await payroll.payouts(GUILD, event_id)}
    assert rows[ALICE].donated and rows[ALICE].status == "paid"


async def test_donation_can_be_taken_back(world, voice):
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30})
    await payroll.set_donation(GUILD, event_id, ALICE, True)
    await payroll.set_donation(GUILD, event_id, ALICE, False)
    result = await payroll.preview(GUILD, event_id, settings=RULES, now=at(200))
    assert amounts(result) == {ALICE: D("600.00"), BOB: D("300.00")}


async def test_commit_is_refused_and_nothing_changes(world, voice):
    active = await events.create_event(GUILD, at=at())
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, active.id, at=at())
    planned = await events.create_event(GUILD, at=at())
    async with voice.tracker.changing(GUILD):
        await events.cancel_event(GUILD, active.id, at=at(1))
    worthless = await completed_event(voice, {ALICE: 60}, value="0")
    done = await completed_event(voice, {ALICE: 60, BOB: 30})
    await payroll.commit(GUILD, done, settings=RULES, at=at(200))
    expensive = await completed_event(voice, {ALICE: 60, BOB: 30})
    await expenses.add_expense(GUILD, expensive, amount="1000.01", paid_by=BOB)
    cases = [
        (GUILD, active.id, InvalidState, "is cancelled: payroll runs on a completed event"),
        (GUILD, planned.id, InvalidState, "is planned: payroll runs on a completed event"),
        (GUILD, done, InvalidState, "was already committed"),
        (GUILD, worthless, InvalidState, "has no value yet"),
        (OTHER_GUILD, expensive, NotFound, "no mining event"),
        (GUILD, expensive, InvalidState, "are more than the event's value"),
    ]
    before = await snapshot()
    for guild, event_id, error, message in cases:
        with pytest.raises(error, match=message):
            await payroll.commit(guild, event_id, settings=RULES, at=at(300))
        assert await snapshot() == before, message


async def test_commit_on_an_active_event_is_refused(world, voice):
    event = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, event.id, at=at())
    with pytest.raises(InvalidState, match="is active: payroll runs on a completed event"):
        await payroll.commit(GUILD, event.id, settings=RULES, at=at(300))
    assert not (await events.get_event(GUILD, event.id)).payroll_processed


async def test_yields_expenses_and_donations_are_final_after_commit(world, voice):
    event_id = await completed_event(voice, {ALICE: 60})
    await payroll.commit(GUILD, event_id, settings=RULES, at=at(200))
    before = await snapshot()
    with pytest.raises(InvalidState, match="is committed"):
        await yields.add_yields(GUILD, event_id, [YieldInput("Gold", "1")])
    with pytest.raises(InvalidState, match="is committed"):
        await expenses.add_expense(GUILD, event_id, amount="5", paid_by=ALICE)
    with pytest.raises(InvalidState, match="too late"):
        await payroll.set_donation(GUILD, event_id, ALICE)
    assert await snapshot() == before


async def test_unknown_payroll_mode_is_refused(world, voice):
    event_id = await completed_event(voice, {ALICE: 60})
    with pytest.raises(InvalidInput, match="Unknown payroll mode 'shares'"):
        await payroll.preview(GUILD, event_id, settings=RULES, now=at(200), mode="shares")


async def test_mark_paid_settles_the_member_once(world, voice):
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30})
    await payroll.commit(GUILD, event_id, settings=RULES, at=at(200))
    [paid] = await payroll.mark_paid(GUILD, event_id, user_id=ALICE, at=at(300), actor_id=DAN)
    assert (paid.user_id, paid.status, paid.amount) == (ALICE, "paid", D("600.00"))
    assert await ledger.balance(GUILD, ledger.member(ALICE)) == 0
    assert await ledger.balance(GUILD, ledger.TREASURY) == D("400.00")
    before = await snapshot()
    with pytest.raises(InvalidState, match="already paid"):
        await payroll.mark_paid(GUILD, event_id, user_id=ALICE, at=at(301))
    with pytest.raises(NotFound, match="has no payout"):
        await payroll.mark_paid(GUILD, event_id, user_id=EVE, at=at(301))
    assert await snapshot() == before
    rest = await payroll.mark_paid(GUILD, event_id, at=at(302))
    assert [p.user_id for p in rest] == [BOB]
    assert await ledger.balance(GUILD, ledger.TREASURY) == D("100.00")


async def test_mark_paid_before_commit_is_refused(world, voice):
    event_id = await completed_event(voice, {ALICE: 60})
    with pytest.raises(InvalidState, match="not been committed"):
        await payroll.mark_paid(GUILD, event_id, at=at(300))


async def crowd(voice, count: int, first_id: int = 10_000) -> list[int]:
    ids = list(range(first_id, first_id + count))
    await members.upsert_members(GUILD, [members.MemberInfo(u, f"m{u}", f"M{u}") for u in ids])
    return ids


async def big_event(voice, ids: list[int]) -> int:
    event = await events.create_event(GUILD, at=at())
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    for n, user in enumerate(ids):
        await voice(user, None, ROCKS if n % 2 else REFINERY, n % 7)
    async with voice.tracker.changing(GUILD):
        await events.stop_event(GUILD, event.id, at=at(90))
    await yields.add_yields(GUILD, event.id, [YieldInput("Gold", "10", value="123456.78")])
    await expenses.add_expense(GUILD, event.id, amount="1000", paid_by=ids[0])
    await payroll.set_donation(GUILD, event.id, ids[1])
    return event.id


async def test_payroll_runs_a_fixed_number_of_queries(world, voice):
    few, many = await crowd(voice, 3), await crowd(voice, 60, first_id=20_000)
    counts = {}
    for label, ids in (("few", few), ("many", many)):
        first = await big_event(voice, ids)  # members get their ledger accounts here
        await payroll.commit(GUILD, first, settings=RULES, at=at(100))
        again = await big_event(voice, ids)
        with count_queries() as preview_queries:
            await payroll.preview(GUILD, again, settings=RULES, now=at(100))
        with count_queries() as commit_queries:
            result = await payroll.commit(GUILD, again, settings=RULES, at=at(100))
        assert len([s for s in result.shares if s.qualified]) == len(ids)
        counts[label] = (len(preview_queries), len(commit_queries))
    assert counts["few"] == counts["many"]
    preview_count, commit_count = counts["many"]
    assert preview_count <= 3  # the event, everyone's time and donation, the expenses
    assert commit_count <= 10, commit_count


async def test_first_payroll_of_new_members_is_fixed_too(world, voice):
    """Members paid for the first time get their ledger accounts within the same ten."""
    counts = []
    for size, first_id in ((10, 30_000), (200, 40_000)):
        event_id = await big_event(voice, await crowd(voice, size, first_id))
        with count_queries() as q:
            result = await payroll.commit(GUILD, event_id, settings=RULES, at=at(100))
        assert len([s for s in result.shares if s.qualified]) == size
        counts.append(len(q))
    assert counts[0] == counts[1] <= 10, counts


@pytest.mark.postgres_only
async def test_two_commits_at_once_pay_once(world, voice):
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30})
    results = await asyncio.gather(
        payroll.commit(GUILD, event_id, settings=RULES, at=at(200)),
        payroll.commit(GUILD, event_id, settings=RULES, at=at(200)),
        return_exceptions=True,
    )
    assert sum(isinstance(r, InvalidState) for r in results) == 1
    assert await MiningPayout.filter(event_id=event_id).count() == 2
    assert await Transaction.filter(kind="payroll").count() == 1
    assert await ledger.balance(GUILD, ledger.TREASURY) == D("1000.00")


@pytest.mark.postgres_only
async def test_two_mark_paid_at_once_pay_once(world, voice):
    event_id = await completed_event(voice, {ALICE: 60})
    await payroll.commit(GUILD, event_id, settings=RULES, at=at(200))
    results = await asyncio.gather(
        payroll.mark_paid(GUILD, event_id, user_id=ALICE, at=at(300)),
        payroll.mark_paid(GUILD, event_id, user_id=ALICE, at=at(300)),
        return_exceptions=True,
    )
    paid = [r for r in results if not isinstance(r, Exception)]
    assert sum(len(r) for r in paid) == 1
    assert await Transaction.filter(kind="payout").count() == 1
    assert await ledger.balance(GUILD, ledger.member(ALICE)) == 0


async def test_payouts_and_expenses_name_members_by_the_one_rule(world, voice):
    """`core.names.plain_name`: a blank display name falls back to the username."""
    await members.upsert_members(GUILD, [members.MemberInfo(BOB, "bob", "  ")])
    event_id = await completed_event(voice, {ALICE: 60, BOB: 30})
    await expenses.add_expense(GUILD, event_id, amount="100", paid_by=BOB)
    assert [e.paid_by_name for e in await expenses.list_expenses(GUILD, event_id)] == ["bob"]
    await payroll.commit(GUILD, event_id, settings=RULES, at=at(200))
    assert [p.name for p in await payroll.payouts(GUILD, event_id)] == ["Alice", "bob"]
