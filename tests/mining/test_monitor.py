"""The live monitor and the other reads the portal's pages need: from the database alone."""

from __future__ import annotations

from datetime import date

import pytest

from core import members
from core.errors import InvalidInput, NotFound
from core.permissions import Level
from plugins.mining import attention, events, payroll
from plugins.mining.monitor import live_view
from plugins.mining.settings import MiningSettings
from storage.querycount import count_queries
from tests.mining.conftest import (
    ALICE,
    BOB,
    CARA,
    GUILD,
    LOUNGE,
    OTHER_GUILD,
    REFINERY,
    ROCKS,
    at,
)
from tests.mining.test_payroll import completed_event

RULES = MiningSettings(org_cut_percent=10, min_minutes_to_qualify=0)


async def active_event(voice) -> int:
    event = await events.create_event(GUILD, at=at())
    async with voice.tracker.changing(GUILD):
        await events.start_event(GUILD, event.id, at=at())
    return event.id


def seen(view) -> dict[str, list[str]]:
    return {c.name: [m.name for m in c.members] for c in view.channels}


async def test_shows_who_is_in_which_channel_and_their_time_so_far(world, voice):
    event_id = await active_event(voice)
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 5)
    await voice(CARA, None, REFINERY, 10)
    await voice(BOB, ROCKS, None, 20)  # left: time kept, not in a channel
    await voice(ALICE, ROCKS, REFINERY, 30)  # moved
    view = await live_view(GUILD, event_id, now=at(40), min_session_seconds=30)
    assert view.live and view.in_voice == 2
    assert seen(view) == {"Refinery": ["Cara", "Alice"], "Rocks": []}
    refinery = next(c for c in view.channels if c.name == "Refinery")
    alice = next(m for m in refinery.members if m.user_id == ALICE)
    assert (alice.since, alice.seconds) == (at(30), 40 * 60)
    times = {p.name: (p.seconds, p.in_channel) for p in view.participants}
    assert times == {"Alice": (2400, True), "Cara": (1800, True), "Bob": (900, False)}


async def test_a_join_or_leave_written_by_the_bot_is_seen_at_the_next_read(world, voice):
    event_id = await active_event(voice)
    before = await live_view(GUILD, event_id, now=at(1), min_session_seconds=30)
    assert before.in_voice == 0
    await voice(ALICE, None, ROCKS, 1)
    after = await live_view(GUILD, event_id, now=at(2), min_session_seconds=30)
    assert seen(after)["Rocks"] == ["Alice"]
    await voice(ALICE, ROCKS, LOUNGE, 3)  # to a channel that does not count
    gone = await live_view(GUILD, event_id, now=at(4), min_session_seconds=30)
    assert gone.in_voice == 0 and [p.seconds for p in gone.participants] == [120]


async def test_an_ended_event_has_nobody_in_a_channel_and_its_frozen_times(world, voice):
    event_id = await completed_event(voice, {ALICE: 30, BOB: 10})
    view = await live_view(GUILD, event_id, now=at(500), min_session_seconds=30)
    assert not view.live and view.in_voice == 0
    assert [(p.name, p.seconds) for p in view.participants] == [("Alice", 1800), ("Bob", 600)]


async def test_another_guilds_event_is_not_found(world, voice):
    event_id = await active_event(voice)
    with pytest.raises(NotFound):
        await live_view(OTHER_GUILD, event_id, now=at(1), min_session_seconds=30)


async def test_the_monitor_costs_the_same_queries_for_3_or_60_members(world, voice):
    event_id = await active_event(voice)
    many = list(range(9000, 9060))
    await members.upsert_members(GUILD, [members.MemberInfo(u, f"m{u}", f"M{u}") for u in many])
    for user in many[:3]:
        await voice(user, None, ROCKS, 1)
    with count_queries() as few:
        await live_view(GUILD, event_id, now=at(5), min_session_seconds=30)
    for user in many[3:]:
        await voice(user, None, REFINERY, 2)
    with count_queries() as lots:
        view = await live_view(GUILD, event_id, now=at(5), min_session_seconds=30)
    assert view.in_voice == 60
    assert len(few) == len(lots) == 3


async def test_events_are_filtered_by_status_and_date(world):
    old = await events.create_event(GUILD, at=at(), name="Old", when=at(-60 * 24 * 10))
    new = await events.create_event(GUILD, at=at(), name="New")
    await events.create_event(OTHER_GUILD, at=at(), name="Theirs")
    await events.start_event(GUILD, new.id, at=at())
    found = await events.list_events(GUILD, since=date(2026, 1, 1))
    assert [e.event_name for e in found] == ["New"]
    found = await events.list_events(GUILD, until=date(2025, 12, 31))
    assert [e.event_name for e in found] == ["Old"]
    found = await events.list_events(GUILD, status=events.EventStatus.PLANNED)
    assert [e.id for e in found] == [old.id]
    with pytest.raises(InvalidInput, match="starts"):
        await events.list_events(GUILD, since=date(2026, 2, 1), until=date(2026, 1, 1))


async def test_a_member_sees_their_own_payouts_only(world, voice):
    first = await completed_event(voice, {ALICE: 30, BOB: 30})
    await payroll.commit(GUILD, first, settings=RULES, at=at(100))
    await payroll.mark_paid(GUILD, first, user_id=ALICE, at=at(101))
    mine = await payroll.member_payouts(GUILD, ALICE)
    assert [(p.event_id, str(p.amount), p.status) for p in mine] == [(first, "450.00", "paid")]
    assert await payroll.member_payouts(OTHER_GUILD, ALICE) == []
    assert [p.status for p in await payroll.member_payouts(GUILD, BOB)] == ["owed"]


async def test_attention_lists_active_ops_payrolls_to_commit_and_payouts_owed(world, voice):
    done = await completed_event(voice, {ALICE: 30, BOB: 30})
    assert [(i.kind, i.event_id, i.level) for i in await attention.items(GUILD)] == [
        ("payroll", done, Level.TREASURER)
    ]
    await payroll.commit(GUILD, done, settings=RULES, at=at(100))
    running = await active_event(voice)
    found = await attention.items(GUILD)
    assert [(i.kind, i.event_id) for i in found] == [("active", running), ("owed", done)]
    assert found[1].text == f"Event #{done}: 2 payout(s) owed, 900.00 aUEC in all."
    assert await attention.items(OTHER_GUILD) == []
