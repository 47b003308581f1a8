"""Participation from voice: joins, moves, leaves, AFK, bots, the cache, another guild."""

from __future__ import annotations

from core.events import GuildSnapshot, VoiceMember
from plugins.mining import channels, events
from plugins.mining.models import MiningParticipation
from plugins.mining.participants import participants
from tests.mining.conftest import (
    AFK,
    ALICE,
    BOB,
    CARA,
    GUILD,
    LOUNGE,
    OTHER_GUILD,
    OTHER_GUILD_VOICE,
    REFINERY,
    ROCKS,
    at,
)


async def started(guild: int = GUILD, minutes: float = 0) -> int:
    event = await events.create_event(guild, at=at())
    await events.start_event(guild, event.id, at=at(minutes))
    return event.id


async def sessions_of(event_id: int) -> list[tuple]:
    return (
        await MiningParticipation.filter(event_id=event_id)
        .order_by("id")
        .values_list("user_id", "channel_id", "session_start", "session_end", "duration_seconds")
    )


async def test_join_then_leave_is_one_closed_session_with_its_duration(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 5)
    assert await sessions_of(event_id) == [(ALICE, ROCKS, at(5), None, None)]
    await voice(ALICE, ROCKS, None, 47.5)
    assert await sessions_of(event_id) == [(ALICE, ROCKS, at(5), at(47.5), 42 * 60 + 30)]


async def test_move_between_mining_channels_closes_one_and_opens_the_next(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)
    await voice(ALICE, ROCKS, REFINERY, 30)
    await voice(ALICE, REFINERY, None, 50)
    assert await sessions_of(event_id) == [
        (ALICE, ROCKS, at(0), at(30), 1800),
        (ALICE, REFINERY, at(30), at(50), 1200),
    ]


async def test_moving_to_a_channel_that_does_not_count_closes_the_session(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, REFINERY, 0)
    await voice(ALICE, ROCKS, LOUNGE, 10)  # not approved
    await voice(BOB, REFINERY, AFK, 20)  # the AFK channel
    await voice(ALICE, LOUNGE, ROCKS, 30)  # back
    await voice(BOB, AFK, LOUNGE, 40)  # from AFK to elsewhere: nothing
    assert await sessions_of(event_id) == [
        (ALICE, ROCKS, at(0), at(10), 600),
        (BOB, REFINERY, at(0), at(20), 1200),
        (ALICE, ROCKS, at(30), None, None),
    ]


async def test_afk_channel_never_counts_even_if_approved(world, voice):
    await channels.add_channel(GUILD, AFK, "AFK", voice_channel_ids={AFK})  # no afk id known
    event_id = await started()
    await voice(ALICE, None, AFK, 0)
    assert await sessions_of(event_id) == []


async def test_bots_are_ignored(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0, is_bot=True)
    assert await sessions_of(event_id) == []


async def test_nothing_is_recorded_without_an_active_event(world, voice):
    planned = await events.create_event(GUILD, at=at())
    await voice(ALICE, None, ROCKS, 0)
    await voice(ALICE, ROCKS, None, 10)
    assert await MiningParticipation.all().count() == 0
    assert planned.status == "planned"


async def test_rejoining_counts_both_stretches(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)
    await voice(ALICE, ROCKS, None, 20)
    await voice(ALICE, None, REFINERY, 50)
    event, _ = await events.stop_event(GUILD, event_id, at=at(60))
    people = await participants(event, now=at(60), min_session_seconds=30)
    assert [(p.user_id, p.seconds, p.sessions) for p in people] == [(ALICE, 1800, 2)]


async def test_short_sessions_do_not_count(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 1)
    await voice(BOB, ROCKS, None, 1.45)  # 27 s: below the 30 s minimum
    await voice(ALICE, ROCKS, REFINERY, 10)
    await voice(ALICE, REFINERY, ROCKS, 10.25)  # 15 s hop through the refinery
    event, _ = await events.stop_event(GUILD, event_id, at=at(20))
    people = await participants(event, now=at(20), min_session_seconds=30)
    assert [(p.user_id, p.seconds, p.sessions) for p in people] == [(ALICE, 1185, 2)]
    assert event.total_participants == 1


async def test_org_membership_is_recorded_from_the_guild_membership(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)  # org member
    await voice(BOB, None, ROCKS, 0)  # not
    found = (
        await MiningParticipation.filter(event_id=event_id)
        .order_by("user_id")
        .values_list("user_id", "is_org_member")
    )
    assert found == [(ALICE, True), (BOB, False)]


async def test_stale_cache_cannot_open_a_session_in_a_stopped_event(world, voice, tracker):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)  # loads the cache: event active
    await events.stop_event(GUILD, event_id, at=at(10))  # without telling the tracker
    await voice(BOB, None, ROCKS, 11)
    assert [s[0] for s in await sessions_of(event_id)] == [ALICE]


async def test_channel_approved_mid_event_counts_after_the_cache_is_dropped(world, voice, tracker):
    event_id = await started()
    await voice(ALICE, None, LOUNGE, 0)
    async with tracker.changing(GUILD):
        await channels.add_channel(GUILD, LOUNGE, "Lounge", voice_channel_ids={LOUNGE})
    await voice(ALICE, LOUNGE, None, 5)  # she was there before approval: nothing to close
    await voice(BOB, None, LOUNGE, 6)
    assert await sessions_of(event_id) == [(BOB, LOUNGE, at(6), None, None)]


async def test_removing_a_channel_closes_its_open_sessions(world, voice, tracker):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, REFINERY, 0)
    async with tracker.changing(GUILD):
        closed = await channels.remove_channel(GUILD, REFINERY, at=at(15))
    assert closed == 1
    await voice(CARA, None, REFINERY, 16)
    assert await sessions_of(event_id) == [
        (ALICE, ROCKS, at(0), None, None),
        (BOB, REFINERY, at(0), at(15), 900),
    ]


async def test_another_guilds_voice_never_touches_this_guilds_event(world, voice):
    ours = await started()
    theirs = await started(OTHER_GUILD)
    await voice(ALICE, None, ROCKS, 0, guild=OTHER_GUILD)  # our channel id, their guild
    await voice(ALICE, None, OTHER_GUILD_VOICE, 1, guild=OTHER_GUILD)
    await voice(ALICE, OTHER_GUILD_VOICE, None, 2, guild=OTHER_GUILD)
    assert await sessions_of(ours) == []
    assert await sessions_of(theirs) == [(ALICE, OTHER_GUILD_VOICE, at(1), at(2), 60)]


async def test_concurrent_events_each_get_a_session(world, voice):
    first = await events.create_event(GUILD, at=at())
    second = await events.create_event(GUILD, at=at())
    await events.start_event(GUILD, first.id, at=at(), allow_concurrent=True)
    await events.start_event(GUILD, second.id, at=at(), allow_concurrent=True)
    await voice(ALICE, None, ROCKS, 1)
    await voice(ALICE, ROCKS, None, 11)
    assert await sessions_of(first.id) == [(ALICE, ROCKS, at(1), at(11), 600)]
    assert await sessions_of(second.id) == [(ALICE, ROCKS, at(1), at(11), 600)]


async def test_live_view_counts_open_sessions_up_to_now(world, voice):
    event_id = await started()
    await voice(ALICE, None, ROCKS, 0)
    await voice(BOB, None, ROCKS, 10)
    await voice(BOB, ROCKS, None, 20)
    view = await events.show_event(GUILD, event_id, now=at(45))
    assert [(p.user_id, p.seconds, p.in_channel) for p in view.participants] == [
        (ALICE, 2700, True),
        (BOB, 600, False),
    ]


async def test_a_join_already_counted_by_reconciliation_opens_no_second_session(
    world, voice, tracker
):
    event_id = await started()
    snapshot = GuildSnapshot(
        guild_id=GUILD,
        name="Red Legion",
        afk_channel_id=AFK,
        voice_channel_ids=frozenset({ROCKS, REFINERY, LOUNGE, AFK}),
        in_voice=(VoiceMember(ALICE, ROCKS, False),),
        at=at(1),
    )
    await tracker.reconcile(snapshot)
    await voice(ALICE, None, ROCKS, 0.9)  # the join the snapshot already showed, handled late
    await voice(ALICE, ROCKS, None, 30)
    assert await sessions_of(event_id) == [(ALICE, ROCKS, at(1), at(30), 1740)]
